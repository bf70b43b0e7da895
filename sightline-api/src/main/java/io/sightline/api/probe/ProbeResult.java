package io.sightline.api.probe;

import java.util.List;

/**
 * The answer of a probe. {@code ok} is true when the cluster was reached and accepted the
 * credential; a 403 on listing namespaces does not make a probe fail ({@code namespaces} is then
 * null and {@code namespacesForbidden} true). {@code diagnosis} is null exactly when {@code ok}.
 */
public record ProbeResult(
    boolean ok,
    List<ProbeStep> steps,
    ProbeIdentity identity,
    String serverVersion,
    List<String> namespaces,
    boolean namespacesForbidden,
    Diagnosis diagnosis,
    List<String> warnings,
    long durationMillis) {

  public ProbeResult {
    steps = steps == null ? List.of() : List.copyOf(steps);
    namespaces = namespaces == null ? null : List.copyOf(namespaces);
    warnings = warnings == null ? List.of() : List.copyOf(warnings);
    if (ok && diagnosis != null) {
      throw new IllegalArgumentException("a successful probe carries no diagnosis");
    }
    if (!ok && diagnosis == null) {
      throw new IllegalArgumentException("a failed probe carries a diagnosis");
    }
  }
}
