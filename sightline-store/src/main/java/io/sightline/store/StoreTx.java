package io.sightline.store;

/** The repositories, bound to one transaction. */
public interface StoreTx {
  ApiTokens tokens();

  AuditLog audit();

  /** Envelope encryption whose data keys are written in this transaction. */
  Sealer sealer();
}
