package io.sightline.server.http;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * An RFC 9457 problem ({@code application/problem+json}): a stable {@code code}, a {@code detail}
 * naming the field and the fix, and for 500s an {@code errorId} that is also in the log line.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Problem(
    @ApiField("urn:sightline:problem:<code>") String type,
    String title,
    int status,
    @ApiField("stable error code, e.g. UNKNOWN_FIELD") String code,
    @ApiField("what is wrong and how to fix it") String detail,
    @ApiField("the request field at fault") String field,
    @ApiField("for 500s: the id of the log line with the stack trace") String errorId) {

  public static final String CONTENT_TYPE = "application/problem+json";

  public static Problem of(int status, String code, String detail, String field, String errorId) {
    return new Problem(
        "urn:sightline:problem:" + code, title(status), status, code, detail, field, errorId);
  }

  static String title(int status) {
    return switch (status) {
      case 400 -> "Bad Request";
      case 401 -> "Unauthorized";
      case 403 -> "Forbidden";
      case 404 -> "Not Found";
      case 405 -> "Method Not Allowed";
      case 409 -> "Conflict";
      case 422 -> "Unprocessable Content";
      case 413 -> "Content Too Large";
      case 415 -> "Unsupported Media Type";
      case 429 -> "Too Many Requests";
      case 500 -> "Internal Server Error";
      case 503 -> "Service Unavailable";
      default -> status >= 500 ? "Server Error" : "Client Error";
    };
  }
}
