package io.sightline.store;

/** The repositories, bound to one transaction. */
public interface StoreTx {
  ApiTokens tokens();

  AuditLog audit();

  /** Stored connections, their secrets (sealed with this transaction's sealer) and history. */
  Connections connections();

  /** Leases: one task's credential each; token and handle only as hashes. */
  Leases leases();

  /** Trusted OIDC issuers and connections' pipeline permissions. */
  Trust trust();

  /** The OIDC issuer's signing key set (sealed; one document shared by every replica). */
  IssuerKeys issuerKeys();

  /** Web UI sessions (only their hashes), bound to the API token they were signed in with. */
  WebSessions webSessions();

  /** Environments, their resources, checks, deployments and approvals. */
  default Environments environments() {
    throw new UnsupportedOperationException("this store has no environments");
  }

  /** Agent pools, registration tokens, agents and their jobs. */
  Agents agents();

  /** Envelope encryption whose data keys are written in this transaction. */
  Sealer sealer();
}
