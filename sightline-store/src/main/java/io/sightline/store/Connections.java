package io.sightline.store;

import io.sightline.core.SecretValue;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Stored connections: a stable UUID id, a unique name, the kind, the non-secret fields as JSON, the
 * secret fields sealed one by one (sealer context {@code connection/<id>/<field>}), the verified
 * flag, the verification history, and the provisioning state (home namespace, deployers, the
 * minter's token sealed under {@code connection/<id>/minterToken}). Secrets are never returned by
 * {@link #find}/{@link #list}; {@link #secrets} opens them for the caller that needs them.
 */
public interface Connections {

  /** A connection's stored facts; never a secret value ({@code secretFields} names them). */
  record ConnectionRecord(
      String id,
      String name,
      String kind,
      String authorizationType,
      String description,
      Map<String, Object> fields,
      Set<String> secretFields,
      String serverUrl,
      boolean verified,
      Instant verifiedAt,
      Instant createdAt,
      Instant updatedAt,
      String createdBy,
      ProvisioningState provisioning) {}

  /** What to write on create or update. {@code secrets} replace the stored ones field by field. */
  record ConnectionWrite(
      String name,
      String kind,
      String authorizationType,
      String description,
      Map<String, Object> fields,
      Map<String, SecretValue> secrets,
      String serverUrl,
      boolean verified,
      Instant verifiedAt) {}

  /**
   * What provisioning left in the cluster.
   *
   * @param details non-secret facts needed to reach and deprovision it (server URL, CA PEM, target
   *     namespaces, role, flags)
   * @param hasMinterToken whether a sealed minter token is stored
   */
  record ProvisioningState(
      String homeNamespace,
      Map<String, String> deployers,
      Map<String, Object> details,
      boolean hasMinterToken,
      Instant provisionedAt) {}

  /** One verification: when, whether it passed, its diagnosis code, a summary without secrets. */
  record Verification(Instant at, boolean ok, String diagnosis, Map<String, Object> summary) {}

  /**
   * Creates a connection with a fresh UUID.
   *
   * @throws io.sightline.core.SightlineException 409 {@code CONNECTION_EXISTS} when the name is
   *     taken
   */
  ConnectionRecord create(ConnectionWrite write, String createdBy);

  /**
   * Replaces fields and description; {@code secrets} given replace the stored values of those
   * fields, {@code removeSecrets} are deleted, others are kept.
   */
  ConnectionRecord update(String id, ConnectionWrite write, Set<String> removeSecrets);

  Optional<ConnectionRecord> find(String name);

  Optional<ConnectionRecord> findById(String id);

  /** Every connection, by name. */
  List<ConnectionRecord> list();

  /** Opens the stored secret fields of connection {@code id}. */
  Map<String, SecretValue> secrets(String id);

  void setVerified(String id, boolean verified, Instant at);

  void addVerification(String id, Verification v);

  /** Newest first, at most {@code limit} (1..1000). */
  List<Verification> verifications(String id, int limit);

  /** Records (or replaces) the provisioning state; a null token keeps the stored one. */
  void setProvisioning(String id, ProvisioningState state, SecretValue minterToken);

  void clearProvisioning(String id);

  Optional<SecretValue> minterToken(String id);

  /** Deletes the connection, its secrets, history and provisioning state; false when none. */
  boolean delete(String id);
}
