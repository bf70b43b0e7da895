package io.sightline.store;

import io.sightline.core.SecretValue;

/**
 * AES-256-GCM envelope encryption: a fresh data key per record, wrapped by the master key. The
 * sealed form is opaque bytes safe to store.
 */
public interface Sealer {
  byte[] seal(SecretValue value);

  SecretValue open(byte[] sealed);
}
