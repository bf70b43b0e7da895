package io.sightline.core;

import java.util.Objects;

/**
 * The one unchecked root exception of Sightline. It carries a stable {@code code} (part of the API:
 * extend, never rename), the HTTP status it maps to, and for user errors the request field at
 * fault. Its message is the problem's {@code detail}: it names the field and the fix, and never
 * contains a secret value.
 */
public class SightlineException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String code;
  private final int status;
  private final String field;
  private final Integer retryAfterSeconds;

  public SightlineException(String code, int status, String field, String detail) {
    this(code, status, field, detail, null, null);
  }

  public SightlineException(
      String code,
      int status,
      String field,
      String detail,
      Integer retryAfterSeconds,
      Throwable cause) {
    super(detail, cause);
    this.code = Objects.requireNonNull(code, "code");
    this.status = status;
    this.field = field;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /** 400: the request is wrong; {@code field} names where, {@code detail} says the fix. */
  public static SightlineException badRequest(String code, String field, String detail) {
    return new SightlineException(code, 400, field, detail);
  }

  public static SightlineException unauthorized(String detail) {
    return new SightlineException("UNAUTHORIZED", 401, null, detail);
  }

  public static SightlineException forbidden(String code, String detail) {
    return new SightlineException(code, 403, null, detail);
  }

  public static SightlineException notFound(String code, String detail) {
    return new SightlineException(code, 404, null, detail);
  }

  public static SightlineException conflict(String code, String detail) {
    return new SightlineException(code, 409, null, detail);
  }

  public static SightlineException unavailable(String code, String detail, int retryAfterSeconds) {
    return new SightlineException(code, 503, null, detail, retryAfterSeconds, null);
  }

  public String code() {
    return code;
  }

  public int status() {
    return status;
  }

  /** The request field at fault (JSON pointer-ish dotted path), or null. */
  public String field() {
    return field;
  }

  /** For 503: how many seconds a client should wait before retrying, or null. */
  public Integer retryAfterSeconds() {
    return retryAfterSeconds;
  }

  public boolean isUserError() {
    return status >= 400 && status < 500;
  }
}
