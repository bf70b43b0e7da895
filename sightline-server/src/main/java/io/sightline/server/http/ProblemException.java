package io.sightline.server.http;

import io.sightline.core.SightlineException;
import java.util.Map;

/**
 * A user error whose problem+json body carries extension members beside the standard ones (RFC 9457
 * §3.2), e.g. {@code "probe"} on a failed verification.
 */
public class ProblemException extends SightlineException {
  private static final long serialVersionUID = 1L;

  private final transient Map<String, Object> extensions;

  public ProblemException(
      String code, int status, String field, String detail, Map<String, Object> extensions) {
    super(code, status, field, detail);
    this.extensions = Map.copyOf(extensions);
  }

  public Map<String, Object> extensions() {
    return extensions;
  }
}
