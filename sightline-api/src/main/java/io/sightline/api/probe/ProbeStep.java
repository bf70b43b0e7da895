package io.sightline.api.probe;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Objects;

/** One timed step of a probe. {@code detail} is a short human-readable note (never a secret). */
public record ProbeStep(Name name, Status status, long millis, String detail) {

  /** The steps of a probe, in the order they run. */
  public enum Name {
    @JsonProperty("resolve")
    RESOLVE,
    @JsonProperty("connect")
    CONNECT,
    @JsonProperty("tls")
    TLS,
    @JsonProperty("version")
    VERSION,
    @JsonProperty("authenticate")
    AUTHENTICATE,
    @JsonProperty("namespaces")
    NAMESPACES,
    /** The probe went through an agent of the connection's pool ({@code via}); first step. */
    @JsonProperty("agent")
    AGENT
  }

  public enum Status {
    @JsonProperty("ok")
    OK,
    @JsonProperty("failed")
    FAILED,
    @JsonProperty("skipped")
    SKIPPED
  }

  public ProbeStep {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(status, "status");
  }

  public static ProbeStep ok(Name name, long millis, String detail) {
    return new ProbeStep(name, Status.OK, millis, detail);
  }

  public static ProbeStep failed(Name name, long millis, String detail) {
    return new ProbeStep(name, Status.FAILED, millis, detail);
  }

  public static ProbeStep skipped(Name name, String detail) {
    return new ProbeStep(name, Status.SKIPPED, 0, detail);
  }
}
