package io.sightline.store;

import java.util.function.Function;

/**
 * Sightline's persistent state: an embedded H2 file database (single node, the default) or
 * PostgreSQL (several replicas may share it). Everything a server needs to survive a restart or to
 * run as several replicas lives here; nothing lives only in one process's memory.
 *
 * <p>Contract types live in this package; the JDBI/Flyway machinery under {@code
 * io.sightline.store.internal}. Open with {@link Stores#open(StoreConfig, MasterKey)}.
 */
public interface Store extends AutoCloseable {

  /**
   * What storage this is, for the startup log: H2 path and "single node", or PostgreSQL host/db.
   */
  String describe();

  /** True for PostgreSQL ({@code --db-url}); false for the embedded H2 default. */
  boolean isExternal();

  /**
   * Checks the database answers and migrations are applied (for {@code /readyz}).
   *
   * @throws StoreUnavailableException when it does not
   */
  void ping();

  /**
   * Runs {@code work} in one short transaction: every write in it (the change and its audit record)
   * commits together or not at all.
   *
   * @throws StoreUnavailableException when the database cannot be reached (maps to 503)
   */
  <T> T transact(Function<StoreTx, T> work);

  /**
   * As {@link #transact}, for short, frequent writes that must be durable before the caller answers
   * (lease issuance): concurrent calls may share one transaction and one commit (group commit).
   * Each call still commits or fails on its own terms — a work that throws is rolled back alone —
   * and returns only once its writes are committed. Audit appends made inside {@code work} are
   * written after the works of its group and answer null. {@code work} must not call the store
   * itself and must be safe to run twice (a group that fails as a whole runs each work again
   * alone).
   */
  default <T> T transactGrouped(Function<StoreTx, T> work) {
    return transact(work);
  }

  /**
   * Envelope encryption under the master key this store was opened with; each call runs in its own
   * short transaction. Prefer {@link StoreTx#sealer()} when the sealed bytes are stored in a
   * transaction.
   */
  Sealer sealer();

  /**
   * Re-wraps every data key and the audit key under {@code newKey}, in one transaction. Afterwards
   * only {@code newKey} opens this store; old audit records still verify. Online: other calls keep
   * working. The caller must have made {@code newKey} durable (key file, secret store) BEFORE
   * calling this: once it returns, the old key no longer opens the store. Other replicas sharing
   * the database must be restarted with the new key (their seals are refused until then).
   *
   * @throws io.sightline.core.SightlineException {@code MASTER_KEY_MISMATCH} when the database is
   *     no longer wrapped by this store's current key (rotated by another replica)
   */
  default void rotateMasterKey(MasterKey newKey) {
    rotateMasterKey(newKey, null);
  }

  /**
   * As {@link #rotateMasterKey(MasterKey)}, appending {@code audit} (when not null) in the same
   * transaction as the re-wrap: the rotation and its audit record commit together or not at all.
   */
  void rotateMasterKey(MasterKey newKey, io.sightline.core.AuditEvent audit);

  /**
   * A new handle on this database's leader lock (see {@link LeaderLock}); the caller closes it.
   * Single-process stores answer {@link LeaderLock#ALWAYS_HELD}.
   */
  default LeaderLock leaderLock() {
    return LeaderLock.ALWAYS_HELD;
  }

  @Override
  void close();
}
