package io.sightline.cli.client;

/**
 * The server answered with an error (problem+json), or could not be reached. The message is one
 * line for a person: the problem's detail and code, or what to do when the server is unreachable.
 */
public class ApiException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int status;
  private final String code;
  private final transient com.fasterxml.jackson.databind.JsonNode problem;

  public ApiException(int status, String code, String message) {
    this(status, code, message, null);
  }

  public ApiException(
      int status, String code, String message, com.fasterxml.jackson.databind.JsonNode problem) {
    super(message);
    this.status = status;
    this.code = code;
    this.problem = problem;
  }

  /** The problem+json body the server sent, or null. */
  public com.fasterxml.jackson.databind.JsonNode problem() {
    return problem;
  }

  /** HTTP status, or 0 when the server was not reached. */
  public int status() {
    return status;
  }

  /** The problem's stable code, or null. */
  public String code() {
    return code;
  }
}
