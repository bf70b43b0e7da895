package io.sightline.kubernetes.provision;

import io.sightline.core.SecretValue;
import java.util.List;
import java.util.Map;

/**
 * What provisioning left in the cluster and the one credential the connection keeps.
 *
 * @param homeNamespace the connection's home namespace
 * @param minterServiceAccount the minter ServiceAccount's name (in the home namespace)
 * @param minterToken the minter's long-lived token: store it sealed, never show it
 * @param caPem the cluster CA from the token Secret's {@code ca.crt} (PEM), or null
 * @param minterTokenSecret the name of the Secret that holds the minter's token (deleting it
 *     revokes the token)
 * @param deployers target namespace → deployer ServiceAccount name (in the home namespace)
 * @param kubernetesVersion the server's {@code major.minor}, as {@code /version} gave it
 * @param created objects this run created, in creation order
 * @param updated objects that existed and were brought up to date
 * @param deleted objects removed to converge (deployers of namespaces no longer named, ...)
 * @param warnings things a person should know (all-powerful deployers, pre-existing objects)
 */
public record ProvisionResult(
    String homeNamespace,
    String minterServiceAccount,
    SecretValue minterToken,
    String caPem,
    String minterTokenSecret,
    Map<String, String> deployers,
    String kubernetesVersion,
    List<ObjectRef> created,
    List<ObjectRef> updated,
    List<ObjectRef> deleted,
    List<String> warnings) {

  public ProvisionResult {
    deployers = Map.copyOf(deployers);
    created = List.copyOf(created);
    updated = List.copyOf(updated);
    deleted = List.copyOf(deleted);
    warnings = List.copyOf(warnings);
  }
}
