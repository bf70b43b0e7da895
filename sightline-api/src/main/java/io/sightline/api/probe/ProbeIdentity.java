package io.sightline.api.probe;

import java.util.List;

/**
 * Who the cluster says the connection's credential is. {@code method} names how it was learnt:
 * {@code SelfSubjectReview} (authentication.k8s.io/v1 or v1beta1), {@code TokenReview}, or {@code
 * SelfSubjectAccessReview} (which confirms the credential is accepted but cannot name it: username
 * is then null).
 */
public record ProbeIdentity(String username, List<String> groups, String method) {
  public ProbeIdentity {
    groups = groups == null ? List.of() : List.copyOf(groups);
  }
}
