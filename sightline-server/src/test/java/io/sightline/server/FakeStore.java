package io.sightline.server;

import io.sightline.core.AuditEvent;
import io.sightline.core.Role;
import io.sightline.core.SecretValue;
import io.sightline.core.SightlineException;
import io.sightline.store.ApiTokens;
import io.sightline.store.AuditLog;
import io.sightline.store.MasterKey;
import io.sightline.store.Sealer;
import io.sightline.store.Store;
import io.sightline.store.StoreConfig;
import io.sightline.store.StoreTx;
import io.sightline.store.StoreUnavailableException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;

/**
 * An in-memory store for fast server tests: tokens by hash, an audit list, a master-key check on
 * open, and a switch that makes it unavailable. It survives "restarts": open it again with {@link
 * #opener()}.
 */
final class FakeStore implements Store, StoreTx, ApiTokens, AuditLog {
  private final Clock clock;
  private final Map<String, ApiToken> tokens = new LinkedHashMap<>();
  private final Map<String, String> idByHash = new LinkedHashMap<>();
  private final List<AuditRecord> audit = new ArrayList<>();
  private final List<Checkpoint> checkpoints = new ArrayList<>();
  private String keyId;
  volatile boolean down;
  boolean external;

  FakeStore(Clock clock) {
    this.clock = clock;
  }

  SightlineServer.StoreOpener opener() {
    return (StoreConfig config, MasterKey key) -> {
      synchronized (this) {
        if (keyId != null && !keyId.equals(key.id())) {
          throw new SightlineException(
              "MASTER_KEY_MISMATCH",
              500,
              null,
              "the master key from " + key.source() + " does not open this store (wrong key)");
        }
        keyId = key.id();
        external = config.isExternal();
        return this;
      }
    };
  }

  synchronized List<AuditRecord> records() {
    return List.copyOf(audit);
  }

  @Override
  public String describe() {
    return external ? "PostgreSQL (fake)" : "in-memory fake";
  }

  @Override
  public boolean isExternal() {
    return external;
  }

  @Override
  public void ping() {
    if (down) {
      throw new StoreUnavailableException("the database does not answer (fake is down)", null);
    }
  }

  @Override
  public synchronized <T> T transact(Function<StoreTx, T> work) {
    ping();
    return work.apply(this);
  }

  @Override
  public Sealer sealer() {
    throw new UnsupportedOperationException();
  }

  @Override
  public synchronized void rotateMasterKey(MasterKey newKey, io.sightline.core.AuditEvent audit) {
    ping();
    keyId = newKey.id();
    if (audit != null) {
      append(audit);
    }
  }

  @Override
  public void close() {}

  @Override
  public io.sightline.store.Connections connections() {
    throw new UnsupportedOperationException(
        "the fake store has no connections; use the embedded store");
  }

  @Override
  public io.sightline.store.Agents agents() {
    throw new UnsupportedOperationException("the fake store has no agents; use the embedded store");
  }

  @Override
  public io.sightline.store.Trust trust() {
    throw new UnsupportedOperationException("the fake store has no trust; use the embedded store");
  }

  @Override
  public io.sightline.store.WebSessions webSessions() {
    throw new UnsupportedOperationException(
        "the fake store has no web sessions; use the embedded store");
  }

  @Override
  public io.sightline.store.Leases leases() {
    throw new UnsupportedOperationException("the fake store has no leases; use the embedded store");
  }

  private SecretValue issuerKeySet;

  @Override
  public io.sightline.store.IssuerKeys issuerKeys() {
    return new io.sightline.store.IssuerKeys() {
      @Override
      public Optional<SecretValue> load() {
        return Optional.ofNullable(issuerKeySet);
      }

      @Override
      public Optional<SecretValue> lockAndLoad() {
        return load(); // transact() is synchronized: one transaction at a time
      }

      @Override
      public void save(SecretValue keySet) {
        issuerKeySet = keySet;
      }
    };
  }

  // StoreTx
  @Override
  public ApiTokens tokens() {
    return this;
  }

  @Override
  public AuditLog audit() {
    return this;
  }

  // ApiTokens
  @Override
  public CreatedToken create(
      String name, Role role, List<String> groups, Duration ttl, String createdBy) {
    byte[] raw = new byte[32];
    new SecureRandom().nextBytes(raw);
    SecretValue value =
        SecretValue.of("slt_" + Base64.getUrlEncoder().withoutPadding().encodeToString(raw));
    ApiToken t = put(value, name, role, groups, ttl, createdBy);
    return new CreatedToken(t, value);
  }

  private ApiToken put(
      SecretValue value, String name, Role role, List<String> groups, Duration ttl, String by) {
    Instant now = clock.instant();
    ApiToken t =
        new ApiToken(
            UUID.randomUUID().toString(), name, role, groups, now, now.plus(ttl), null, by);
    tokens.put(t.id(), t);
    idByHash.put(hash(value.reveal()), t.id());
    return t;
  }

  @Override
  public ApiToken importBootstrap(SecretValue value, Duration ttl) {
    if (!value.reveal().matches("slt_[A-Za-z0-9_-]{43,}")) {
      throw SightlineException.badRequest(
          "INVALID_BOOTSTRAP_TOKEN",
          "SIGHTLINE_BOOTSTRAP_TOKEN",
          "the bootstrap token must be slt_ followed by at least 43 base64url characters");
    }
    String id = idByHash.get(hash(value.reveal()));
    return id != null
        ? tokens.get(id)
        : put(value, "bootstrap", Role.ADMIN, List.of(), ttl, "system");
  }

  @Override
  public Optional<ApiToken> authenticate(String presented, Instant now) {
    String id = idByHash.get(hash(presented));
    return Optional.ofNullable(id == null ? null : tokens.get(id)).filter(t -> t.isActive(now));
  }

  @Override
  public List<ApiToken> list() {
    List<ApiToken> out = new ArrayList<>(tokens.values());
    java.util.Collections.reverse(out);
    return out;
  }

  @Override
  public Optional<ApiToken> find(String id) {
    return Optional.ofNullable(tokens.get(id));
  }

  @Override
  public boolean revoke(String id, Instant now) {
    ApiToken t = tokens.get(id);
    if (t == null) {
      return false;
    }
    if (t.revokedAt() == null) {
      tokens.put(
          id,
          new ApiToken(
              t.id(),
              t.name(),
              t.role(),
              t.groups(),
              t.createdAt(),
              t.expiresAt(),
              now,
              t.createdBy()));
    }
    return true;
  }

  @Override
  public long count() {
    return tokens.size();
  }

  // AuditLog
  @Override
  public AuditRecord append(AuditEvent e) {
    AuditRecord r =
        new AuditRecord(
            audit.size() + 1L,
            clock.instant(),
            e.action(),
            e.actor(),
            e.target(),
            e.outcome(),
            e.requestId(),
            e.details(),
            "k1",
            "link" + (audit.size() + 1));
    audit.add(r);
    return r;
  }

  @Override
  public Page list(Query q) {
    if ("boom".equals(q.action())) {
      throw new IllegalStateException("boom");
    }
    List<AuditRecord> out = new ArrayList<>();
    for (int i = audit.size() - 1; i >= 0 && out.size() < q.limit(); i--) {
      AuditRecord r = audit.get(i);
      if ((q.beforeSeq() == null || r.seq() < q.beforeSeq())
          && (q.action() == null || q.action().equals(r.action()))
          && (q.actor() == null || q.actor().equals(r.actor()))
          && (q.target() == null || q.target().equals(r.target()))
          && (q.outcome() == null || q.outcome().equals(r.outcome()))
          && (q.since() == null || !r.at().isBefore(q.since()))
          && (q.until() == null || r.at().isBefore(q.until()))) {
        out.add(r);
      }
    }
    Long next =
        out.size() == q.limit() && out.get(out.size() - 1).seq() > 1
            ? out.get(out.size() - 1).seq()
            : null;
    return new Page(out, next);
  }

  @Override
  public Verification verify(Optional<Checkpoint> external) {
    if (external.isPresent() && external.get().seq() > audit.size()) {
      return new Verification(
          false,
          audit.size(),
          (long) audit.size() + 1,
          true,
          "records after the chain end are gone");
    }
    return new Verification(true, audit.size(), null, false, "the chain verifies");
  }

  @Override
  public Checkpoint checkpoint() {
    Checkpoint c =
        new Checkpoint(
            audit.size(), "link" + audit.size(), clock.instant(), "k1", "sig" + audit.size());
    checkpoints.add(c);
    return c;
  }

  @Override
  public Optional<Checkpoint> latestCheckpoint() {
    return checkpoints.isEmpty()
        ? Optional.empty()
        : Optional.of(checkpoints.get(checkpoints.size() - 1));
  }

  private static String hash(String value) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8)));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
