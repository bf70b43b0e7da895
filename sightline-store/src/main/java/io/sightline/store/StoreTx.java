package io.sightline.store;

/** The repositories, bound to one transaction. */
public interface StoreTx {
  ApiTokens tokens();

  AuditLog audit();

  /** Stored connections, their secrets (sealed with this transaction's sealer) and history. */
  Connections connections();

  /** Envelope encryption whose data keys are written in this transaction. */
  Sealer sealer();
}
