package io.sightline.cli.identity;

/** No usable pipeline identity, or its token could not be fetched; the message says what to do. */
public class IdentityException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public IdentityException(String message) {
    super(message);
  }
}
