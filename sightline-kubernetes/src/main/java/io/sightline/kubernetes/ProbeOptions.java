package io.sightline.kubernetes;

import io.sightline.core.SightlineException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * How to probe a cluster.
 *
 * @param deadline the hard deadline over the whole probe (DNS, TCP, TLS and every HTTP call);
 *     default 10 s, between 100 ms and 120 s
 * @param targetNamespaces the namespaces the connection will deploy to: each is checked for a Pod
 *     Security {@code enforce} label (a warning when missing)
 */
public record ProbeOptions(Duration deadline, List<String> targetNamespaces) {
  public static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(10);
  public static final Duration MIN_DEADLINE = Duration.ofMillis(100);
  public static final Duration MAX_DEADLINE = Duration.ofSeconds(120);

  private static final Pattern NAMESPACE = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

  public ProbeOptions {
    Objects.requireNonNull(deadline, "deadline");
    if (deadline.compareTo(MIN_DEADLINE) < 0 || deadline.compareTo(MAX_DEADLINE) > 0) {
      throw new IllegalArgumentException(
          "a probe deadline must be between " + MIN_DEADLINE + " and " + MAX_DEADLINE);
    }
    targetNamespaces = targetNamespaces == null ? List.of() : List.copyOf(targetNamespaces);
    for (String ns : targetNamespaces) {
      if (ns == null || !NAMESPACE.matcher(ns).matches()) {
        throw SightlineException.badRequest(
            "INVALID_NAMESPACE",
            "namespace",
            "'"
                + ns
                + "' is not a valid namespace name: lower-case letters, digits and '-', starting"
                + " and ending with a letter or digit, at most 63 characters");
      }
    }
  }

  public static ProbeOptions defaults() {
    return new ProbeOptions(DEFAULT_DEADLINE, List.of());
  }

  public ProbeOptions withDeadline(Duration d) {
    return new ProbeOptions(d, targetNamespaces);
  }

  public ProbeOptions withTargetNamespaces(List<String> namespaces) {
    return new ProbeOptions(deadline, namespaces);
  }
}
