/**
 * The store's machinery: JDBI over a HikariCP pool, Flyway migrations ({@code
 * db/migration/sightline}, one SQL for H2 2.x and PostgreSQL 14+), AES-256-GCM envelope encryption
 * and the HMAC-chained audit log.
 *
 * <h2>Opening</h2>
 *
 * {@link io.sightline.store.internal.JdbiStore#open} reads {@code keyring.master_key_id} before
 * Flyway runs: a wrong master key fails with {@code MASTER_KEY_MISMATCH} and nothing is migrated or
 * written. On a fresh database the key ring row and a random audit key are written in one
 * transaction after the migrations.
 *
 * <h2>Sealing and rotation</h2>
 *
 * Sealed values are encrypted under random data keys, rows of {@code data_keys} wrapped (AES-GCM,
 * AAD = row id and master key id) by the master key; a data key serves one replica's seals for at
 * most a minute or 10,000 seals, and only once the transaction that wrote its row has committed.
 * The sealed bytes are {@code "SL1" · id · nonce · ciphertext} (a random 96-bit nonce per seal)
 * with AAD = data key id and the caller's context, so a sealed value copied to another row or
 * context does not open. Rotation therefore re-wraps {@code data_keys} and {@code audit_keys} (in
 * one transaction, under a lock on the key ring row that every new data key also takes) and never
 * needs to know which tables hold sealed values. Data keys of deleted records stay behind as small
 * orphan rows (harmless; a later cleanup may delete rows no sealed value names).
 *
 * <h2>Audit chain</h2>
 *
 * See {@link io.sightline.store.internal.JdbiAuditLog}: appends lock {@code audit_head}; verify
 * walks the chain from seq 1 and compares the end with the head row, the newest stored checkpoint
 * and an optional checkpoint the caller kept outside the database.
 */
package io.sightline.store.internal;
