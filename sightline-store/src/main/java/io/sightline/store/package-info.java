/**
 * Sightline's persistent state, as a contract: {@link io.sightline.store.Store} (open with {@link
 * io.sightline.store.Stores}), its per-transaction repositories ({@link
 * io.sightline.store.StoreTx}: API tokens, audit log, sealer) and the master key ({@link
 * io.sightline.store.MasterKey}, found by {@link io.sightline.store.MasterKeys}). The
 * implementation is in {@code io.sightline.store.internal}.
 *
 * <p>Errors: {@link io.sightline.store.StoreUnavailableException} (503) when the database cannot be
 * reached; otherwise {@link io.sightline.core.SightlineException} with codes {@code
 * MASTER_KEY_MISSING}, {@code MASTER_KEY_INVALID}, {@code MASTER_KEY_MISMATCH}, {@code
 * MASTER_KEY_ROTATED} (503: another replica rotated), {@code MASTER_KEY_WRITE_FAILED}, {@code
 * STORE_LOCKED}, {@code DATA_DIR_NOT_A_DIRECTORY}, {@code DATA_DIR_UNWRITABLE}, {@code
 * SEALED_VALUE_UNREADABLE}, {@code AUDIT_KEY_UNREADABLE}, {@code AUDIT_KEY_MISSING}, {@code
 * KEYRING_INCONSISTENT}, and the 400s {@code INVALID_NAME}, {@code INVALID_ROLE}, {@code
 * INVALID_GROUPS}, {@code INVALID_TTL}, {@code CONNECTION_EXISTS} (409), {@code
 * INVALID_BOOTSTRAP_TOKEN}, {@code AUDIT_RECORD_INVALID}, {@code INVALID_CHECKPOINT}.
 */
package io.sightline.store;
