package io.sightline.testing.azure.internal;

/** An Entra error answer: HTTP status, OAuth {@code error}, AADSTS code and message. */
public final class EntraException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final int status;
  private final String error;
  private final int code;

  public EntraException(int status, String error, int code, String message) {
    super(message, null, false, false);
    this.status = status;
    this.error = error;
    this.code = code;
  }

  public int status() {
    return status;
  }

  public String error() {
    return error;
  }

  public int code() {
    return code;
  }

  public static EntraException invalidRequest(int code, String message) {
    return new EntraException(400, "invalid_request", code, message);
  }

  public static EntraException invalidClient(int code, String message) {
    return new EntraException(401, "invalid_client", code, message);
  }

  public static EntraException invalidGrant(int code, String message) {
    return new EntraException(400, "invalid_grant", code, message);
  }
}
