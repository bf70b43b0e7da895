package io.sightline.store;

import io.sightline.core.SecretValue;

/**
 * AES-256-GCM envelope encryption under random data keys, wrapped by the master key and kept as
 * rows of the store's {@code data_keys} table; the sealed bytes name their row. A data key serves
 * one replica's seals for at most a minute or 10,000 seals (a fresh random nonce each), and is
 * reused only after the transaction that wrote it committed. The sealed form is opaque bytes safe
 * to store in any column.
 *
 * <p>{@code context} (e.g. {@code "connection/prod/kubeconfig"}) is bound to the ciphertext as
 * additional authenticated data: a sealed value copied to another row does not open there. Use the
 * same context to open as to seal; the overloads without one use the empty context.
 *
 * <p>Take the sealer of the transaction that stores the sealed bytes ({@link StoreTx#sealer()}), so
 * the data key commits or rolls back with the record. {@link Store#sealer()} runs each call in its
 * own short transaction.
 */
public interface Sealer {
  byte[] seal(SecretValue value, String context);

  /**
   * @throws io.sightline.core.SightlineException {@code SEALED_VALUE_UNREADABLE} when the bytes are
   *     not a sealed value of this store, were sealed under another context, or were altered
   */
  SecretValue open(byte[] sealed, String context);

  default byte[] seal(SecretValue value) {
    return seal(value, "");
  }

  default SecretValue open(byte[] sealed) {
    return open(sealed, "");
  }
}
