package io.sightline.api.probe;

import java.util.Objects;

/**
 * What went wrong, in words a person can act on: a stable {@link DiagnosisCode}, a one-line
 * explanation, and a hint naming the way out (an agent in the cluster's network, an {@code azurerm}
 * connection deferred to run time, saving without verification, or the exact field to fix).
 */
public record Diagnosis(DiagnosisCode code, String message, String hint) {
  public Diagnosis {
    Objects.requireNonNull(code, "code");
    Objects.requireNonNull(message, "message");
  }
}
