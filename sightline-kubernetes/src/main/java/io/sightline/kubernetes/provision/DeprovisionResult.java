package io.sightline.kubernetes.provision;

import java.util.List;

/**
 * What deprovisioning removed and what it had to leave behind.
 *
 * @param deleted objects deleted by this run
 * @param leftBehind objects that still exist (or may exist) and why, one line each, e.g. {@code
 *     rolebinding/web/sightline-prod-deployer: forbidden (403)}; empty when everything is gone
 * @param warnings things kept on purpose (the shared {@code sightline-deploy} ClusterRole still
 *     used by another connection, a home namespace Sightline did not create)
 */
public record DeprovisionResult(
    List<ObjectRef> deleted, List<String> leftBehind, List<String> warnings) {

  public DeprovisionResult {
    deleted = List.copyOf(deleted);
    leftBehind = List.copyOf(leftBehind);
    warnings = List.copyOf(warnings);
  }

  /** Whether nothing this connection provisioned is left in the cluster. */
  public boolean complete() {
    return leftBehind.isEmpty();
  }
}
