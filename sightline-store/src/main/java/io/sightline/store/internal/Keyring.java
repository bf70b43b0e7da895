package io.sightline.store.internal;

import io.sightline.core.SightlineException;
import io.sightline.store.MasterKey;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.jdbi.v3.core.Handle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The master key in memory, the keys it wraps, and rotation.
 *
 * <p>The {@code keyring} row names the master key id that wraps every row of {@code data_keys} and
 * {@code audit_keys}. Every seal locks that row (so a rotation in progress finishes first and no
 * data key is ever wrapped by a retired key); rotation locks it, re-wraps both tables and moves the
 * id, all in one transaction. Keys this process held before a rotation stay in memory so that reads
 * racing a rotation's commit still unwrap.
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
    return new DataKey(id, key);
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
