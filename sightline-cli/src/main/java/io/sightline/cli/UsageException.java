package io.sightline.cli;

/** A command line that parses but makes no sense (a bad URL, a bad duration): exit code 2. */
public class UsageException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public UsageException(String message) {
    super(message);
  }
}
