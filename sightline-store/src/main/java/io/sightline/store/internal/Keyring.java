package io.sightline.store.internal;

import io.sightline.core.SightlineException;
import io.sightline.store.MasterKey;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.jdbi.v3.core.Handle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The master key in memory, the keys it wraps, and rotation.
 *
 * <p>The {@code keyring} row names the master key id that wraps every row of {@code data_keys} and
 * {@code audit_keys}. Every new data key locks that row (so a rotation in progress finishes first
 * and no data key is ever wrapped by a retired key); rotation locks it, re-wraps both tables and
 * moves the id, all in one transaction. A data key serves a replica's seals for up to a minute or
 * 10,000 seals once it has committed ({@link #dataKeyForSeal}). Keys this process held before a
 * rotation stay in memory so that reads racing a rotation's commit still unwrap.
 */
final class Keyring {
  private static final Logger log = LoggerFactory.getLogger(Keyring.class);
  private static final String DATA_KEY_AAD = "sightline/data-key/v1|";
  private static final String AUDIT_KEY_AAD = "sightline/audit-key/v1|";

  private volatile MasterKey current;
  private final Map<String, MasterKey> known = new ConcurrentHashMap<>();
  private final Map<String, byte[]> auditKeys = new ConcurrentHashMap<>();
  private volatile String activeAuditKeyId;

  Keyring(MasterKey masterKey) {
    this.current = masterKey;
    known.put(masterKey.id(), masterKey);
  }

  MasterKey current() {
    return current;
  }

  /** The stored master key id, or empty on a fresh database (no keyring row yet). */
  static Optional<String> storedMasterKeyId(Handle h, boolean forUpdate) {
    return h.createQuery(
            "SELECT master_key_id FROM keyring WHERE id = 1" + (forUpdate ? " FOR UPDATE" : ""))
        .mapTo(String.class)
        .findOne();
  }

  static SightlineException mismatch(MasterKey key, String expectedId) {
    return new SightlineException(
        "MASTER_KEY_MISMATCH",
        500,
        null,
        "the master key from "
            + key.source()
            + " (key id "
            + key.id()
            + ") does not open this database: its keys are wrapped by the master key with id "
            + expectedId
            + ". Start with that key (SIGHTLINE_MASTER_KEY, SIGHTLINE_MASTER_KEY_FILE or"
            + " <data-dir>/master.key); nothing was changed");
  }

  /**
   * On a fresh database records the master key id and creates the audit key; then loads the audit
   * key(s). Runs in one transaction after migrations.
   */
  void bootstrap(Handle h, Instant now) {
    Optional<String> stored = storedMasterKeyId(h, true);
    if (stored.isEmpty()) {
      h.createUpdate("INSERT INTO keyring (id, master_key_id, created_at) VALUES (1, :mk, :now)")
          .bind("mk", current.id())
          .bind("now", Sql.instant(now))
          .execute();
      byte[] auditKey = Crypto.randomBytes(Crypto.KEY_BYTES);
      String auditKeyId = Crypto.keyId(auditKey);
      h.createUpdate(
              "INSERT INTO audit_keys (id, master_key_id, wrapped, active, created_at)"
                  + " VALUES (:id, :mk, :wrapped, TRUE, :now)")
          .bind("id", auditKeyId)
          .bind("mk", current.id())
          .bind("wrapped", Crypto.encrypt(current.bytes(), auditKey, auditAad(auditKeyId, current)))
          .bind("now", Sql.instant(now))
          .execute();
      log.info("initialised the key ring: master key id {}", current.id());
    } else if (!stored.get().equals(current.id())) {
      throw mismatch(current, stored.get());
    }
    loadAuditKeys(h);
  }

  void loadAuditKeys(Handle h) {
    List<Map<String, Object>> rows =
        h.createQuery("SELECT id, master_key_id, wrapped, active FROM audit_keys")
            .map(
                (rs, ctx) ->
                    Map.<String, Object>of(
                        "id", rs.getString("id"),
                        "mk", rs.getString("master_key_id"),
                        "wrapped", rs.getBytes("wrapped"),
                        "active", rs.getBoolean("active")))
            .list();
    for (Map<String, Object> row : rows) {
      String id = (String) row.get("id");
      MasterKey mk = knownKey((String) row.get("mk"));
      try {
        byte[] key = Crypto.decrypt(mk.bytes(), (byte[]) row.get("wrapped"), auditAad(id, mk));
        auditKeys.put(id, key);
        if ((Boolean) row.get("active")) {
          activeAuditKeyId = id;
        }
      } catch (GeneralSecurityException e) {
        throw new SightlineException(
            "AUDIT_KEY_UNREADABLE",
            500,
            null,
            "the audit key " + id + " cannot be unwrapped with master key " + mk.id());
      }
    }
    if (activeAuditKeyId == null) {
      throw new SightlineException(
          "AUDIT_KEY_MISSING", 500, null, "the store has no active audit key");
    }
  }

  String activeAuditKeyId() {
    return activeAuditKeyId;
  }

  Optional<byte[]> auditKey(String id) {
    return Optional.ofNullable(auditKeys.get(id));
  }

  /** How long one data key serves this replica's seals. */
  static final java.time.Duration DATA_KEY_REUSE = java.time.Duration.ofSeconds(60);

  /** How many seals one data key serves at most (AES-GCM, random 96-bit nonces: far below 2^32). */
  static final int DATA_KEY_SEALS = 10_000;

  /** A committed data key that serves further seals until it is due. */
  private record Reusable(DataKey key, String masterKeyId, long dueNanos, AtomicInteger seals) {}

  /** The newest data key made here, not yet reused, and the handle whose transaction made it. */
  private record Candidate(
      DataKey key, String masterKeyId, Handle madeIn, long madeAt, AtomicBoolean committed) {}

  private volatile Reusable reusable;
  private volatile Candidate candidate;

  /**
   * The data key to seal under in {@code h}'s transaction: this replica's current one while it is
   * at most {@link #DATA_KEY_REUSE} old, has served fewer than {@link #DATA_KEY_SEALS} seals and
   * was wrapped by the current master key; else a new one ({@link #newDataKey}).
   *
   * <p>A new key is reused only once its transaction has committed and another transaction sees its
   * row (a group commit can roll one work back to its savepoint and still commit; data keys are
   * never deleted, so a row seen committed stays). A reused key's row is committed, so a rotation
   * re-wraps it like any other, and a seal under it takes neither the key ring's lock nor an
   * insert.
   */
  DataKey dataKeyForSeal(Handle h, Instant now) {
    Reusable r = reusable;
    String mk = current.id();
    if (r != null
        && r.masterKeyId().equals(mk)
        && System.nanoTime() - r.dueNanos() < 0
        && r.seals().incrementAndGet() <= DATA_KEY_SEALS) {
      return r.key();
    }
    Candidate c = candidate;
    if (c != null && c.committed().get() && c.madeIn() != h && c.masterKeyId().equals(mk)) {
      boolean seen =
          h.createQuery("SELECT COUNT(*) FROM data_keys WHERE id = :id")
                  .bind("id", c.key().id())
                  .mapTo(Long.class)
                  .one()
              == 1;
      if (seen) {
        reusable =
            new Reusable(
                c.key(), mk, System.nanoTime() + DATA_KEY_REUSE.toNanos(), new AtomicInteger(1));
        clearCandidate(c);
        return c.key();
      }
      clearCandidate(c);
    }
    DataKey fresh = newDataKey(h, now);
    // A candidate whose transaction is still open is kept (for up to a second): concurrent seals
    // would otherwise keep replacing it with ones that have not committed yet.
    c = candidate;
    if (c == null
        || !c.masterKeyId().equals(mk)
        || System.nanoTime() - c.madeAt() > 1_000_000_000L) {
      Candidate made = new Candidate(fresh, mk, h, System.nanoTime(), new AtomicBoolean());
      candidate = made;
      h.afterCommit(() -> made.committed().set(true));
      h.afterRollback(() -> clearCandidate(made));
    }
    return fresh;
  }

  private synchronized void clearCandidate(Candidate c) {
    if (candidate == c) {
      candidate = null;
    }
  }

  /** Creates a data key row in {@code h}'s transaction; returns (id, key). */
  DataKey newDataKey(Handle h, Instant now) {
    // Lock the key ring: a rotation in progress finishes first, and we learn if it happened.
    String stored =
        storedMasterKeyId(h, true)
            .orElseThrow(() -> new IllegalStateException("the key ring is not initialised"));
    MasterKey mk = current;
    if (!stored.equals(mk.id())) {
      throw new SightlineException(
          "MASTER_KEY_ROTATED",
          503,
          null,
          "the master key was rotated by another server (now key id "
              + stored
              + "): restart this server with the new master key",
          30,
          null);
    }
    byte[] key = Crypto.randomBytes(Crypto.KEY_BYTES);
    String id = Crypto.randomId(16);
    h.createUpdate(
            "INSERT INTO data_keys (id, master_key_id, wrapped, created_at)"
                + " VALUES (:id, :mk, :wrapped, :now)")
        .bind("id", id)
        .bind("mk", mk.id())
        .bind("wrapped", Crypto.encrypt(mk.bytes(), key, dataAad(id, mk)))
        .bind("now", Sql.instant(now))
        .execute();
    // Kept as if opened: what is sealed under it now is often opened soon on this replica (an
    // agent job at its claim), which then costs no query. Should the transaction roll back, the
    // random id is simply never looked up.
    synchronized (openedDataKeys) {
      openedDataKeys.put(id, key);
    }
    return new DataKey(id, key);
  }

  /** The data key with {@code id} if this replica has it in memory (no query). */
  Optional<byte[]> cachedDataKey(String id) {
    synchronized (openedDataKeys) {
      return Optional.ofNullable(openedDataKeys.get(id));
    }
  }

  /** The data key with {@code id}, unwrapped; empty when there is no such row. */
  Optional<byte[]> dataKey(Handle h, String id) {
    // A data key never changes once written (rotation re-wraps the row, the key stays), so keys
    // read once are kept: opening the same sealed value again (a connection's minter token, for
    // every lease) costs no query and no unwrap.
    byte[] cached;
    synchronized (openedDataKeys) {
      cached = openedDataKeys.get(id);
    }
    if (cached != null) {
      return Optional.of(cached);
    }
    Optional<byte[]> read = readDataKey(h, id);
    read.ifPresent(
        k -> {
          synchronized (openedDataKeys) {
            openedDataKeys.put(id, k);
          }
        });
    return read;
  }

  private static final int MAX_OPENED_DATA_KEYS = 4096;

  /** Unwrapped data keys by id, least recently used first. */
  private final Map<String, byte[]> openedDataKeys =
      new java.util.LinkedHashMap<>(64, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, byte[]> eldest) {
          return size() > MAX_OPENED_DATA_KEYS;
        }
      };

  private Optional<byte[]> readDataKey(Handle h, String id) {
    return h.createQuery("SELECT master_key_id, wrapped FROM data_keys WHERE id = :id")
        .bind("id", id)
        .map(
            (rs, ctx) -> {
              MasterKey mk = knownKey(rs.getString("master_key_id"));
              try {
                return Crypto.decrypt(mk.bytes(), rs.getBytes("wrapped"), dataAad(id, mk));
              } catch (GeneralSecurityException e) {
                throw Crypto.unreadable("the data key " + id);
              }
            })
        .findOne();
  }

  /** Re-wraps every data key and audit key under {@code next}, in {@code h}'s transaction. */
  RotationResult rotate(Handle h, MasterKey next, Instant now) {
    MasterKey old = current;
    String stored =
        storedMasterKeyId(h, true)
            .orElseThrow(() -> new IllegalStateException("the key ring is not initialised"));
    if (!stored.equals(old.id())) {
      throw mismatch(old, stored);
    }
    if (next.id().equals(old.id())) {
      return new RotationResult(0, 0);
    }
    int dataKeys = rewrap(h, "data_keys", old, next, DATA_KEY_AAD);
    int auditKeysCount = rewrap(h, "audit_keys", old, next, AUDIT_KEY_AAD);
    h.createUpdate("UPDATE keyring SET master_key_id = :mk, rotated_at = :now WHERE id = 1")
        .bind("mk", next.id())
        .bind("now", Sql.instant(now))
        .execute();
    return new RotationResult(dataKeys, auditKeysCount);
  }

  /** After the rotation committed: seal with the new key from now on. */
  void switchTo(MasterKey next) {
    known.put(next.id(), next);
    current = next;
  }

  private static int rewrap(
      Handle h, String table, MasterKey old, MasterKey next, String aadPrefix) {
    int count = 0;
    String after = "";
    while (true) {
      List<Map.Entry<String, byte[]>> batch =
          h.createQuery(
                  "SELECT id, master_key_id, wrapped FROM "
                      + table
                      + " WHERE id > :after ORDER BY id LIMIT 500")
              .bind("after", after)
              .map(
                  (rs, ctx) -> {
                    if (!old.id().equals(rs.getString("master_key_id"))) {
                      throw new SightlineException(
                          "KEYRING_INCONSISTENT",
                          500,
                          null,
                          table
                              + " row "
                              + rs.getString("id")
                              + " is wrapped by master key "
                              + rs.getString("master_key_id")
                              + ", not the current "
                              + old.id());
                    }
                    return Map.entry(rs.getString("id"), rs.getBytes("wrapped"));
                  })
              .list();
      if (batch.isEmpty()) {
        return count;
      }
      var update =
          h.prepareBatch(
              "UPDATE " + table + " SET master_key_id = :mk, wrapped = :wrapped WHERE id = :id");
      for (Map.Entry<String, byte[]> row : batch) {
        String id = row.getKey();
        byte[] plain;
        try {
          plain = Crypto.decrypt(old.bytes(), row.getValue(), aadPrefix + id + "|" + old.id());
        } catch (GeneralSecurityException e) {
          throw Crypto.unreadable(table + " row " + id);
        }
        update
            .bind("mk", next.id())
            .bind("wrapped", Crypto.encrypt(next.bytes(), plain, aadPrefix + id + "|" + next.id()))
            .bind("id", id)
            .add();
        count++;
      }
      update.execute();
      after = batch.get(batch.size() - 1).getKey();
    }
  }

  private MasterKey knownKey(String id) {
    MasterKey mk = known.get(id);
    if (mk == null) {
      throw new SightlineException(
          "MASTER_KEY_ROTATED",
          503,
          null,
          "a key in the store is wrapped by master key id "
              + id
              + ", which this server does not hold (rotated by another server?): restart it with"
              + " the current master key",
          30,
          null);
    }
    return mk;
  }

  private static String dataAad(String id, MasterKey mk) {
    return DATA_KEY_AAD + id + "|" + mk.id();
  }

  private static String auditAad(String id, MasterKey mk) {
    return AUDIT_KEY_AAD + id + "|" + mk.id();
  }

  record DataKey(String id, byte[] key) {}

  record RotationResult(int dataKeys, int auditKeys) {}
}
