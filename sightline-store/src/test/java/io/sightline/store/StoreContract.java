package io.sightline.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import io.sightline.core.AuditEvent;
import io.sightline.core.Role;
import io.sightline.core.SecretValue;
import io.sightline.core.SightlineException;
import io.sightline.store.ApiTokens.ApiToken;
import io.sightline.store.ApiTokens.CreatedToken;
import io.sightline.store.AuditLog.AuditRecord;
import io.sightline.store.AuditLog.Checkpoint;
import io.sightline.store.AuditLog.Page;
import io.sightline.store.AuditLog.Query;
import io.sightline.store.AuditLog.Verification;
import io.sightline.store.internal.JdbiStore;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jdbi.v3.core.Handle;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The store's contract, run on every database Sightline supports (H2 and PostgreSQL). Each test
 * gets a fresh, empty database from {@link #freshConfig()}.
 */
abstract class StoreContract {
  static final Instant T0 = Instant.parse("2026-11-29T12:00:00Z");

  protected final MutableClock clock = new MutableClock(T0);
  protected final MasterKey keyA = MasterKeys.generate("test key A");
  protected final MasterKey keyB = MasterKeys.generate("test key B");
  private final List<Store> opened = new ArrayList<>();

  /** A configuration for a fresh, empty database. */
  protected abstract StoreConfig freshConfig() throws Exception;

  /**
   * Every file in which the database keeps {@code config}'s data on disk, after the data is flushed
   * (the store may be closed first).
   */
  protected abstract List<java.nio.file.Path> rawFiles(Store store, StoreConfig config)
      throws Exception;

  protected Store open(StoreConfig config, MasterKey key) {
    Store s = Stores.open(config, key, clock);
    opened.add(s);
    return s;
  }

  @AfterEach
  void closeStores() {
    opened.forEach(Store::close);
  }

  protected static void sql(Store store, Consumer<Handle> work) {
    ((JdbiStore) store).jdbi().useHandle(work::accept);
  }

  protected static long countRows(Store store, String table) {
    return ((JdbiStore) store)
        .jdbi()
        .withHandle(h -> h.createQuery("SELECT COUNT(*) FROM " + table).mapTo(Long.class).one());
  }

  // ---------------------------------------------------------------- web sessions

  @Test
  @DisplayName(
      "a web session is sls_ + 256 random bits, stored only hashed, expires, ends on sign-out and"
          + " with its API token")
  void webSessionsAreStoredHashedAndEnd() throws Exception {
    Store store = open(freshConfig(), keyA);
    CreatedToken token =
        store.transact(
            (StoreTx tx) ->
                tx.tokens().create("alice", Role.USER, List.of(), Duration.ofDays(1), "admin"));
    WebSessions.CreatedSession created =
        store.transact(
            (StoreTx tx) ->
                tx.webSessions().create(token.token().id(), T0.plus(Duration.ofHours(8))));
    String value = created.value().reveal();
    assertThat(value).startsWith("sls_");
    assertThat(Base64.getUrlDecoder().decode(value.substring(4))).hasSize(32);
    assertThat(created.value().toString()).doesNotContain(value);

    Optional<WebSessions.WebSession> found =
        store.transact((StoreTx tx) -> tx.webSessions().find(value, clock.instant()));
    assertThat(found).isPresent();
    assertThat(found.get().tokenId()).isEqualTo(token.token().id());
    assertThat(found.get().expiresAt()).isEqualTo(T0.plus(Duration.ofHours(8)));
    assertThat(store.transact((StoreTx tx) -> tx.webSessions().find(value + "x", T0))).isEmpty();
    assertThat(store.transact((StoreTx tx) -> tx.webSessions().find(null, T0))).isEmpty();
    assertThat(
            store.transact(
                (StoreTx tx) -> tx.webSessions().find(value, T0.plus(Duration.ofHours(8)))))
        .as("expired at expiresAt")
        .isEmpty();

    String stored =
        ((JdbiStore) store)
            .jdbi()
            .withHandle(
                h -> h.createQuery("SELECT * FROM web_sessions").mapToMap().list().toString());
    assertThat(stored).doesNotContain(value).doesNotContain(value.substring(4));

    assertThat(store.transact((StoreTx tx) -> tx.webSessions().end(value))).isTrue();
    assertThat(store.transact((StoreTx tx) -> tx.webSessions().find(value, T0))).isEmpty();
    assertThat(store.transact((StoreTx tx) -> tx.webSessions().end(value))).isFalse();
  }

  // ---------------------------------------------------------------- tokens

  @Test
  @DisplayName(
      "a created token is slt_ + 256 random bits, authenticates, and is stored only hashed")
  void createdTokensAuthenticate() throws Exception {
    Store store = open(freshConfig(), keyA);
    CreatedToken created =
        store.transact(
            (StoreTx tx) ->
                tx.tokens()
                    .create(
                        "ci-bot",
                        Role.CREATOR,
                        List.of("ops", "dev"),
                        Duration.ofDays(90),
                        "alice"));

    String value = created.value().reveal();
    assertThat(value).startsWith("slt_");
    assertThat(Base64.getUrlDecoder().decode(value.substring(4))).hasSize(32);
    assertThat(created.value().toString()).doesNotContain(value);
    assertThat(created.token().expiresAt()).isEqualTo(T0.plus(Duration.ofDays(90)));

    Optional<ApiToken> who =
        store.transact((StoreTx tx) -> tx.tokens().authenticate(value, clock.instant()));
    assertThat(who).isPresent();
    assertThat(who.get().id()).isEqualTo(created.token().id());
    assertThat(who.get().name()).isEqualTo("ci-bot");
    assertThat(who.get().role()).isEqualTo(Role.CREATOR);
    assertThat(who.get().groups()).containsExactly("ops", "dev");
    assertThat(who.get().createdBy()).isEqualTo("alice");

    assertThat(
            store.transact((StoreTx tx) -> tx.tokens().authenticate(value + "x", clock.instant())))
        .isEmpty();
    assertThat(
            store.transact(
                (StoreTx tx) -> tx.tokens().authenticate("not-a-token", clock.instant())))
        .isEmpty();
    assertThat(store.transact((StoreTx tx) -> tx.tokens().authenticate(null, clock.instant())))
        .isEmpty();

    String storedValues =
        ((JdbiStore) store)
            .jdbi()
            .withHandle(
                h -> h.createQuery("SELECT * FROM api_tokens").mapToMap().list().toString());
    assertThat(storedValues).doesNotContain(value).doesNotContain(value.substring(4));
  }

  @Test
  @DisplayName("an expired token no longer authenticates")
  void expiredTokensDoNotAuthenticate() throws Exception {
    Store store = open(freshConfig(), keyA);
    CreatedToken created =
        store.transact(
            (StoreTx tx) ->
                tx.tokens().create("short", Role.READER, List.of(), Duration.ofHours(1), "a"));
    String value = created.value().reveal();
    assertThat(
            store.transact((StoreTx tx) -> tx.tokens().authenticate(value, T0.plusSeconds(3599))))
        .isPresent();
    assertThat(
            store.transact((StoreTx tx) -> tx.tokens().authenticate(value, T0.plusSeconds(3600))))
        .isEmpty();
    assertThat(store.transact((StoreTx tx) -> tx.tokens().find(created.token().id()))).isPresent();
  }

  @Test
  @DisplayName("a revoked token no longer authenticates; revoking twice is fine; unknown is false")
  void revokedTokensDoNotAuthenticate() throws Exception {
    Store store = open(freshConfig(), keyA);
    CreatedToken created =
        store.transact(
            (StoreTx tx) ->
                tx.tokens().create("bot", Role.USER, null, Duration.ofDays(1), "admin"));
    String id = created.token().id();
    clock.advance(Duration.ofMinutes(5));
    assertThat(store.transact((StoreTx tx) -> tx.tokens().revoke(id, clock.instant()))).isTrue();
    assertThat(
            store.transact((StoreTx tx) -> tx.tokens().revoke(id, clock.instant().plusSeconds(9))))
        .isTrue();
    assertThat(store.transact((StoreTx tx) -> tx.tokens().revoke("nope", clock.instant())))
        .isFalse();
    assertThat(
            store.transact(
                (StoreTx tx) ->
                    tx.tokens().authenticate(created.value().reveal(), clock.instant())))
        .isEmpty();
    ApiToken after = store.transact((StoreTx tx) -> tx.tokens().find(id)).orElseThrow();
    assertThat(after.revokedAt()).isEqualTo(T0.plus(Duration.ofMinutes(5)));
    assertThat(after.isActive(clock.instant())).isFalse();
  }

  @Test
  @DisplayName("tokens are listed newest first and counted")
  void tokensAreListed() throws Exception {
    Store store = open(freshConfig(), keyA);
    store.transact(
        (StoreTx tx) -> tx.tokens().create("one", Role.USER, List.of(), Duration.ofDays(1), "a"));
    clock.advance(Duration.ofSeconds(1));
    store.transact(
        (StoreTx tx) -> tx.tokens().create("two", Role.USER, List.of(), Duration.ofDays(1), "a"));
    assertThat(store.transact((StoreTx tx) -> tx.tokens().list()))
        .extracting(ApiToken::name)
        .containsExactly("two", "one");
    assertThat(store.transact((StoreTx tx) -> tx.tokens().count())).isEqualTo(2);
  }

  @Test
  @DisplayName(
      "the bootstrap token is imported once as an admin token, and short values are refused")
  void bootstrapTokenImportIsIdempotent() throws Exception {
    Store store = open(freshConfig(), keyA);
    String value =
        "slt_"
            + Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString(new byte[32])
                .replace('A', 'q');
    SecretValue secret = SecretValue.of(value);
    ApiToken first =
        store.transact((StoreTx tx) -> tx.tokens().importBootstrap(secret, Duration.ofDays(90)));
    ApiToken second =
        store.transact((StoreTx tx) -> tx.tokens().importBootstrap(secret, Duration.ofDays(90)));
    assertThat(second.id()).isEqualTo(first.id());
    assertThat(store.transact((StoreTx tx) -> tx.tokens().count())).isEqualTo(1);
    assertThat(store.transact((StoreTx tx) -> tx.tokens().authenticate(value, clock.instant())))
        .get()
        .extracting(ApiToken::role)
        .isEqualTo(Role.ADMIN);

    assertThatThrownBy(
            () ->
                store.transact(
                    (StoreTx tx) ->
                        tx.tokens()
                            .importBootstrap(SecretValue.of("slt_tooshort"), Duration.ofDays(1))))
        .isInstanceOfSatisfying(
            SightlineException.class,
            e -> {
              assertThat(e.status()).isEqualTo(400);
              assertThat(e.field()).isEqualTo("SIGHTLINE_BOOTSTRAP_TOKEN");
              assertThat(e.getMessage()).contains("openssl rand").doesNotContain("tooshort");
            });
  }

  @Test
  @DisplayName(
      "a token with an empty name or a non-positive TTL is refused with 400 naming the field")
  void badTokenInputIsRefused() throws Exception {
    Store store = open(freshConfig(), keyA);
    assertThatThrownBy(
            () ->
                store.transact(
                    (StoreTx tx) ->
                        tx.tokens().create(" ", Role.USER, List.of(), Duration.ofDays(1), "a")))
        .isInstanceOfSatisfying(
            SightlineException.class, e -> assertThat(e.field()).isEqualTo("name"));
    assertThatThrownBy(
            () ->
                store.transact(
                    (StoreTx tx) ->
                        tx.tokens().create("x", Role.USER, List.of(), Duration.ZERO, "a")))
        .isInstanceOfSatisfying(
            SightlineException.class,
            e -> {
              assertThat(e.status()).isEqualTo(400);
              assertThat(e.field()).isEqualTo("ttlSeconds");
            });
    assertThat(store.transact((StoreTx tx) -> tx.tokens().count())).isZero();
  }

  // ---------------------------------------------------------------- sealing

  @Test
  @DisplayName("a sealed value opens again, only under its context, and tampering is detected")
  void sealedValuesOpen() throws Exception {
    Store store = open(freshConfig(), keyA);
    SecretValue secret = SecretValue.of("kubeconfig-secret-" + UUID.randomUUID());
    byte[] sealed =
        store.transact((StoreTx tx) -> tx.sealer().seal(secret, "connection/prod/kubeconfig"));
    byte[] again = store.sealer().seal(secret, "connection/prod/kubeconfig");

    assertThat(new String(sealed, StandardCharsets.ISO_8859_1)).doesNotContain(secret.reveal());
    assertThat(sealed).isNotEqualTo(again);
    assertThat(
            store.transact((StoreTx tx) -> tx.sealer().open(sealed, "connection/prod/kubeconfig")))
        .isEqualTo(secret);
    assertThat(store.sealer().open(again, "connection/prod/kubeconfig")).isEqualTo(secret);
    // The second seal reuses the first one's data key (committed by then).
    assertThat(countRows(store, "data_keys")).isEqualTo(1);

    assertThatThrownBy(() -> store.sealer().open(sealed, "connection/staging/kubeconfig"))
        .isInstanceOfSatisfying(
            SightlineException.class,
            e -> {
              assertThat(e.code()).isEqualTo("SEALED_VALUE_UNREADABLE");
              assertThat(e.getMessage()).doesNotContain(secret.reveal());
            });
    byte[] tampered = sealed.clone();
    tampered[tampered.length - 1] ^= 1;
    assertThatThrownBy(() -> store.sealer().open(tampered, "connection/prod/kubeconfig"))
        .isInstanceOfSatisfying(
            SightlineException.class,
            e -> assertThat(e.code()).isEqualTo("SEALED_VALUE_UNREADABLE"));
    assertThatThrownBy(() -> store.sealer().open("garbage".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(SightlineException.class);
  }

  @Test
  @DisplayName("a seal rolled back with its transaction leaves no data key behind")
  void sealRollsBackWithItsTransaction() throws Exception {
    Store store = open(freshConfig(), keyA);
    assertThatThrownBy(
            () ->
                store.transact(
                    (StoreTx tx) -> {
                      tx.sealer().seal(SecretValue.of("rolled-back-secret"));
                      tx.audit().append(AuditEvent.success("connection.create", "alice", "c/x"));
                      throw new IllegalStateException("boom");
                    }))
        .hasMessage("boom");
    assertThat(countRows(store, "data_keys")).isZero();
    assertThat(countRows(store, "audit_log")).isZero();
  }

  @Test
  @DisplayName(
      "a data key serves later seals only once its transaction committed: a rolled-back one is"
          + " never reused, and every value opens from the rows alone")
  void dataKeysAreReusedOnlyOnceCommitted() throws Exception {
    StoreConfig config = freshConfig();
    Store store = open(config, keyA);
    assertThatThrownBy(
            () ->
                store.transact(
                    (StoreTx tx) -> {
                      tx.sealer().seal(SecretValue.of("rolled-back"), "c");
                      throw new IllegalStateException("boom");
                    }))
        .hasMessage("boom");
    byte[] first = store.transact((StoreTx tx) -> tx.sealer().seal(SecretValue.of("one"), "c"));
    byte[] second = store.transact((StoreTx tx) -> tx.sealer().seal(SecretValue.of("two"), "c"));
    byte[] third = store.sealer().seal(SecretValue.of("three"), "c");
    assertThat(dataKeyId(second)).isEqualTo(dataKeyId(first));
    assertThat(dataKeyId(third)).isEqualTo(dataKeyId(first));
    assertThat(countRows(store, "data_keys")).isEqualTo(1);
    store.close();

    // Another process (no key in memory) opens every value from the rows alone.
    Store reopened = open(config, keyA);
    assertThat(reopened.sealer().open(first, "c")).isEqualTo(SecretValue.of("one"));
    assertThat(reopened.sealer().open(second, "c")).isEqualTo(SecretValue.of("two"));
    assertThat(reopened.sealer().open(third, "c")).isEqualTo(SecretValue.of("three"));
    // It makes its own key, and reuses it from its next transaction on.
    byte[] fourth = reopened.transact((StoreTx tx) -> tx.sealer().seal(SecretValue.of("4"), "c"));
    byte[] fifth = reopened.sealer().seal(SecretValue.of("5"), "c");
    assertThat(dataKeyId(fourth)).isNotEqualTo(dataKeyId(first)).isEqualTo(dataKeyId(fifth));
    assertThat(countRows(reopened, "data_keys")).isEqualTo(2);
  }

  @Test
  @DisplayName(
      "a data key made by a grouped work that was rolled back to its savepoint is never reused,"
          + " though its group committed")
  void dataKeyOfARolledBackGroupedWorkIsNotReused() throws Exception {
    StoreConfig config = freshConfig();
    Store store = open(config, keyA);
    ExecutorService pool = Executors.newFixedThreadPool(3);
    java.util.concurrent.CountDownLatch leaderInside = new java.util.concurrent.CountDownLatch(1);
    try {
      // The leader holds its group open while a failing and a succeeding sealing work queue
      // behind it, in that order, so that they share the next group (and its commit).
      Future<Object> leader =
          pool.submit(
              () ->
                  store.transactGrouped(
                      (StoreTx tx) -> {
                        leaderInside.countDown();
                        sleep(400);
                        return null;
                      }));
      leaderInside.await(10, TimeUnit.SECONDS);
      Future<byte[]> failing =
          pool.submit(
              () ->
                  store.transactGrouped(
                      (StoreTx tx) -> {
                        tx.sealer().seal(SecretValue.of("rolled back"), "c");
                        throw new IllegalStateException("work fails");
                      }));
      sleep(100);
      Future<byte[]> kept =
          pool.submit(
              () ->
                  store.transactGrouped(
                      (StoreTx tx) -> tx.sealer().seal(SecretValue.of("kept"), "c")));
      leader.get(10, TimeUnit.SECONDS);
      assertThatThrownBy(() -> failing.get(10, TimeUnit.SECONDS))
          .hasMessageContaining("work fails");
      byte[] keptSealed = kept.get(10, TimeUnit.SECONDS);
      byte[] later = store.transact((StoreTx tx) -> tx.sealer().seal(SecretValue.of("later"), "c"));
      byte[] reused = store.sealer().seal(SecretValue.of("reused"), "c");
      store.close();

      // Every value names a data key whose row exists: a new process opens them all.
      Store reopened = open(config, keyA);
      assertThat(reopened.sealer().open(keptSealed, "c")).isEqualTo(SecretValue.of("kept"));
      assertThat(reopened.sealer().open(later, "c")).isEqualTo(SecretValue.of("later"));
      assertThat(reopened.sealer().open(reused, "c")).isEqualTo(SecretValue.of("reused"));
    } finally {
      pool.shutdownNow();
    }
  }

  private static String dataKeyId(byte[] sealed) {
    int n = sealed[3] & 0xff;
    return new String(sealed, 4, n, StandardCharsets.US_ASCII);
  }

  @Test
  @DisplayName("no plaintext secret or API token appears anywhere in the raw database files")
  void canarySecretsNeverReachTheDisk() throws Exception {
    StoreConfig config = freshConfig();
    Store store = open(config, keyA);
    String canary = "CANARY-" + UUID.randomUUID();
    String control = "CONTROL-" + UUID.randomUUID();
    byte[] sealed =
        store.transact((StoreTx tx) -> tx.sealer().seal(SecretValue.of(canary), "canary"));
    String token =
        store
            .transact(
                (StoreTx tx) ->
                    tx.tokens().create("canary", Role.USER, List.of(), Duration.ofDays(1), "a"))
            .value()
            .reveal();
    String issuerCanary = "ISSUER-KEY-CANARY-" + UUID.randomUUID();
    store.transact(
        (StoreTx tx) -> {
          tx.issuerKeys().save(SecretValue.of("{\"d\":\"" + issuerCanary + "\"}"));
          return null;
        });
    sql(
        store,
        h -> {
          h.execute(
              "CREATE TABLE canary_rows (id INTEGER PRIMARY KEY, sealed BYTEA, plain VARCHAR(200))");
          h.createUpdate("INSERT INTO canary_rows (id, sealed, plain) VALUES (1, :s, :p)")
              .bind("s", sealed)
              .bind("p", control)
              .execute();
        });

    List<java.nio.file.Path> files = rawFiles(store, config);
    assertThat(files).isNotEmpty();
    boolean controlFound = false;
    for (java.nio.file.Path f : files) {
      byte[] raw = java.nio.file.Files.readAllBytes(f);
      controlFound |= contains(raw, control);
      assertThat(contains(raw, canary)).as("sealed canary secret in " + f).isFalse();
      assertThat(contains(raw, issuerCanary)).as("issuer private key in " + f).isFalse();
      assertThat(contains(raw, token)).as("API token in " + f).isFalse();
      assertThat(contains(raw, token.substring(4))).as("API token body in " + f).isFalse();
    }
    // The control proves the scan sees what the database wrote in plain columns.
    assertThat(controlFound).as("control value written to a plain column is found").isTrue();
  }

  static boolean contains(byte[] haystack, String needle) {
    byte[] n = needle.getBytes(StandardCharsets.UTF_8);
    outer:
    for (int i = 0; i <= haystack.length - n.length; i++) {
      for (int j = 0; j < n.length; j++) {
        if (haystack[i + j] != n[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  // ---------------------------------------------------------------- trust

  private static Trust.NewTrustedIssuer gitHubTrust(String name) {
    return new Trust.NewTrustedIssuer(
        name,
        "github",
        "https://token.actions.githubusercontent.com",
        List.of("https://sightline.example.com"),
        null,
        "repo:org/*",
        List.of("environment"));
  }

  @Test
  @DisplayName("a trusted issuer is stored, found by name and issuer URL, listed and removed")
  void trustedIssuersAreStored() throws Exception {
    Store store = open(freshConfig(), keyA);
    Trust.TrustedIssuer added =
        store.transact((StoreTx tx) -> tx.trust().add(gitHubTrust("github"), "alice"));
    assertThat(UUID.fromString(added.id())).isNotNull();
    assertThat(added.preset()).isEqualTo("github");
    assertThat(added.audiences()).containsExactly("https://sightline.example.com");
    assertThat(added.subjectPattern()).isEqualTo("repo:org/*");
    assertThat(added.subjectPrefix()).isNull();
    assertThat(added.claims()).containsExactly("environment");
    assertThat(added.createdAt()).isEqualTo(T0);
    assertThat(added.createdBy()).isEqualTo("alice");
    store.transact((StoreTx tx) -> tx.trust().add(gitHubTrust("github-2"), "alice"));

    assertThat(store.transact((StoreTx tx) -> tx.trust().find("github"))).contains(added);
    assertThat(
            store.transact(
                (StoreTx tx) -> tx.trust().byIssuer("https://token.actions.githubusercontent.com")))
        .extracting(Trust.TrustedIssuer::name)
        .containsExactly("github", "github-2");
    assertThat(store.transact((StoreTx tx) -> tx.trust().byIssuer("https://gitlab.com"))).isEmpty();
    assertThatThrownBy(
            () -> store.transact((StoreTx tx) -> tx.trust().add(gitHubTrust("github"), "bob")))
        .isInstanceOfSatisfying(
            SightlineException.class, e -> assertThat(e.code()).isEqualTo("TRUST_EXISTS"));

    assertThat(store.transact((StoreTx tx) -> tx.trust().remove("github"))).isTrue();
    assertThat(store.transact((StoreTx tx) -> tx.trust().remove("github"))).isFalse();
    assertThat(store.transact((StoreTx tx) -> tx.trust().list()))
        .extracting(Trust.TrustedIssuer::name)
        .containsExactly("github-2");
  }

  @Test
  @DisplayName(
      "a connection's pipeline permissions default to none, are replaced when set, and go with"
          + " the connection")
  void pipelinePermissionsFollowTheirConnection() throws Exception {
    Store store = open(freshConfig(), keyA);
    String id =
        store
            .transact((StoreTx tx) -> tx.connections().create(write("prod", Map.of()), "alice"))
            .id();
    assertThat(store.transact((StoreTx tx) -> tx.trust().permissions(id)))
        .isEqualTo(Trust.PipelinePermissions.NONE);

    store.transact(
        (StoreTx tx) -> {
          tx.trust()
              .setPermissions(
                  id,
                  new Trust.PipelinePermissions(
                      false, List.of("github:org/app@refs/heads/main", "gitlab:g/*@**")),
                  "alice");
          return null;
        });
    assertThat(store.transact((StoreTx tx) -> tx.trust().permissions(id)).patterns())
        .containsExactly("github:org/app@refs/heads/main", "gitlab:g/*@**");

    store.transact(
        (StoreTx tx) -> {
          tx.trust().setPermissions(id, new Trust.PipelinePermissions(true, List.of()), "bob");
          return null;
        });
    assertThat(store.transact((StoreTx tx) -> tx.trust().permissions(id)))
        .isEqualTo(new Trust.PipelinePermissions(true, List.of()));

    store.transact((StoreTx tx) -> tx.connections().delete(id));
    assertThat(countRows(store, "connection_pipeline_permissions")).isZero();
  }

  // ---------------------------------------------------------------- connections

  private static Connections.ConnectionWrite write(String name, Map<String, SecretValue> secrets) {
    return new Connections.ConnectionWrite(
        name,
        "kubernetes",
        "Kubeconfig",
        "the production cluster",
        Map.of("clusterContext", "prod", "acceptUntrustedCerts", false),
        secrets,
        "https://127.0.0.1:6443",
        false,
        null);
  }

  @Test
  @DisplayName("a connection is created with a UUID, found by name, and never returns its secrets")
  void connectionsAreStoredWithSealedSecrets() throws Exception {
    Store store = open(freshConfig(), keyA);
    Connections.ConnectionRecord c =
        store.transact(
            (StoreTx tx) ->
                tx.connections()
                    .create(
                        write("prod", Map.of("kubeconfig", SecretValue.of("apiVersion: v1"))),
                        "alice"));
    assertThat(UUID.fromString(c.id())).isNotNull();
    assertThat(c.name()).isEqualTo("prod");
    assertThat(c.fields()).containsEntry("clusterContext", "prod");
    assertThat(c.secretFields()).containsExactly("kubeconfig");
    assertThat(c.verified()).isFalse();
    assertThat(c.createdBy()).isEqualTo("alice");
    assertThat(c.toString()).doesNotContain("apiVersion: v1");
    assertThat(store.transact((StoreTx tx) -> tx.connections().find("prod")).orElseThrow().id())
        .isEqualTo(c.id());
    assertThat(
            store
                .transact((StoreTx tx) -> tx.connections().secrets(c.id()))
                .get("kubeconfig")
                .reveal())
        .isEqualTo("apiVersion: v1");
    assertThat(store.transact((StoreTx tx) -> tx.connections().list()))
        .extracting(r -> r.name())
        .containsExactly("prod");

    assertThatThrownBy(
            () ->
                store.transact(
                    (StoreTx tx) -> tx.connections().create(write("prod", Map.of()), "bob")))
        .isInstanceOfSatisfying(
            SightlineException.class,
            e -> {
              assertThat(e.code()).isEqualTo("CONNECTION_EXISTS");
              assertThat(e.status()).isEqualTo(409);
            });
  }

  @Test
  @DisplayName("an update keeps omitted secrets, replaces given ones and removes named ones")
  void connectionUpdatesKeepOmittedSecrets() throws Exception {
    Store store = open(freshConfig(), keyA);
    String id =
        store
            .transact(
                (StoreTx tx) ->
                    tx.connections()
                        .create(
                            write(
                                "prod",
                                Map.of(
                                    "apiToken",
                                    SecretValue.of("t1"),
                                    "secret",
                                    SecretValue.of("s1"))),
                            "a"))
            .id();
    store.transact(
        (StoreTx tx) ->
            tx.connections()
                .update(
                    id,
                    write("prod", Map.of("apiToken", SecretValue.of("t2"))),
                    java.util.Set.of("secret")));
    Map<String, SecretValue> secrets = store.transact((StoreTx tx) -> tx.connections().secrets(id));
    assertThat(secrets).containsOnlyKeys("apiToken");
    assertThat(secrets.get("apiToken").reveal()).isEqualTo("t2");
  }

  @Test
  @DisplayName(
      "verification history and provisioning state are kept and deleted with the connection")
  void connectionHistoryAndProvisioning() throws Exception {
    Store store = open(freshConfig(), keyA);
    String id =
        store.transact((StoreTx tx) -> tx.connections().create(write("prod", Map.of()), "a")).id();
    store.transact(
        (StoreTx tx) -> {
          tx.connections()
              .addVerification(
                  id,
                  new Connections.Verification(
                      T0, false, "UNAUTHORIZED", Map.of("serverUrl", "https://x")));
          tx.connections()
              .addVerification(
                  id, new Connections.Verification(T0.plusSeconds(1), true, null, Map.of()));
          tx.connections().setVerified(id, true, T0.plusSeconds(1));
          tx.connections()
              .setProvisioning(
                  id,
                  new Connections.ProvisioningState(
                      "sightline-prod",
                      Map.of("web", "sightline-deployer-web"),
                      Map.of("serverUrl", "https://x"),
                      true,
                      T0),
                  SecretValue.of("minter-token"));
          return null;
        });
    List<Connections.Verification> history =
        store.transact((StoreTx tx) -> tx.connections().verifications(id, 10));
    assertThat(history).extracting(Connections.Verification::ok).containsExactly(true, false);
    assertThat(history.get(1).diagnosis()).isEqualTo("UNAUTHORIZED");
    Connections.ConnectionRecord c =
        store.transact((StoreTx tx) -> tx.connections().findById(id)).orElseThrow();
    assertThat(c.verified()).isTrue();
    assertThat(c.provisioning().homeNamespace()).isEqualTo("sightline-prod");
    assertThat(c.provisioning().deployers()).containsEntry("web", "sightline-deployer-web");
    assertThat(c.provisioning().hasMinterToken()).isTrue();
    assertThat(
            store.transact((StoreTx tx) -> tx.connections().minterToken(id)).orElseThrow().reveal())
        .isEqualTo("minter-token");

    assertThat(store.transact((StoreTx tx) -> tx.connections().delete(id))).isTrue();
    assertThat(store.transact((StoreTx tx) -> tx.connections().find("prod"))).isEmpty();
    assertThat(countRows(store, "connection_verifications")).isZero();
    assertThat(countRows(store, "connection_provisioning")).isZero();
  }

  @Test
  @DisplayName("a connection created in a transaction that fails leaves no row and no secret")
  void connectionCreateRollsBack() throws Exception {
    Store store = open(freshConfig(), keyA);
    assertThatThrownBy(
            () ->
                store.transact(
                    (StoreTx tx) -> {
                      tx.connections()
                          .create(write("prod", Map.of("kubeconfig", SecretValue.of("x"))), "a");
                      throw new IllegalStateException("verification failed");
                    }))
        .hasMessageContaining("verification failed");
    assertThat(countRows(store, "connections")).isZero();
    assertThat(countRows(store, "connection_secrets")).isZero();
  }

  @Test
  @DisplayName("connection secret fields and minter tokens never appear in the raw database files")
  void connectionCanaryNeverReachesTheDisk() throws Exception {
    StoreConfig config = freshConfig();
    Store store = open(config, keyA);
    String canary = "CONNCANARY-" + UUID.randomUUID();
    String minter = "MINTERCANARY-" + UUID.randomUUID();
    String control = "CONNCONTROL-" + UUID.randomUUID();
    store.transact(
        (StoreTx tx) -> {
          Connections.ConnectionWrite w =
              new Connections.ConnectionWrite(
                  "canary",
                  "kubernetes",
                  "Kubeconfig",
                  control,
                  Map.of(),
                  Map.of("kubeconfig", SecretValue.of(canary)),
                  null,
                  false,
                  null);
          String id = tx.connections().create(w, "a").id();
          tx.connections()
              .setProvisioning(
                  id,
                  new Connections.ProvisioningState(
                      "sightline-canary", Map.of(), Map.of(), true, T0),
                  SecretValue.of(minter));
          return null;
        });
    List<java.nio.file.Path> files = rawFiles(store, config);
    boolean controlFound = false;
    for (java.nio.file.Path f : files) {
      byte[] raw = java.nio.file.Files.readAllBytes(f);
      controlFound |= contains(raw, control);
      assertThat(contains(raw, canary)).as("connection secret in " + f).isFalse();
      assertThat(contains(raw, minter)).as("minter token in " + f).isFalse();
    }
    assertThat(controlFound).as("the plain description is found by the scan").isTrue();
  }

  @Test
  @DisplayName("a sealed connection secret copied to another connection does not open there")
  void connectionSecretsAreBoundToTheirConnection() throws Exception {
    Store store = open(freshConfig(), keyA);
    String a =
        store
            .transact(
                (StoreTx tx) ->
                    tx.connections()
                        .create(write("a", Map.of("apiToken", SecretValue.of("x"))), "u"))
            .id();
    String b =
        store.transact((StoreTx tx) -> tx.connections().create(write("b", Map.of()), "u")).id();
    sql(
        store,
        h ->
            h.createUpdate(
                    "INSERT INTO connection_secrets (connection_id, field, sealed)"
                        + " SELECT :b, field, sealed FROM connection_secrets WHERE connection_id = :a")
                .bind("a", a)
                .bind("b", b)
                .execute());
    assertThatThrownBy(() -> store.transact((StoreTx tx) -> tx.connections().secrets(b)))
        .isInstanceOfSatisfying(
            SightlineException.class,
            e -> assertThat(e.code()).isEqualTo("SEALED_VALUE_UNREADABLE"));
  }

  // ---------------------------------------------------------------- master key

  @Test
  @DisplayName("a wrong master key is refused with its source and ids, and changes nothing")
  void wrongMasterKeyIsRefusedWithoutChanges() throws Exception {
    StoreConfig config = freshConfig();
    Store store = open(config, keyA);
    SecretValue secret = SecretValue.of("secret-" + UUID.randomUUID());
    byte[] sealed = store.transact((StoreTx tx) -> tx.sealer().seal(secret));
    store.transact(
        (StoreTx tx) -> tx.audit().append(AuditEvent.success("token.create", "alice", "t/1")));
    String before = snapshot(store);
    store.close();

    assertThatThrownBy(() -> open(config, keyB))
        .isInstanceOfSatisfying(
            SightlineException.class,
            e -> {
              assertThat(e.code()).isEqualTo("MASTER_KEY_MISMATCH");
              assertThat(e.getMessage())
                  .contains("test key B")
                  .contains(keyB.id())
                  .contains(keyA.id())
                  .contains("nothing was changed");
            });

    Store again = open(config, keyA);
    assertThat(snapshot(again)).isEqualTo(before);
    assertThat(again.sealer().open(sealed)).isEqualTo(secret);
    assertThat(again.transact((StoreTx tx) -> tx.audit().verify()).ok()).isTrue();
  }

  private static String snapshot(Store store) {
    return ((JdbiStore) store)
        .jdbi()
        .withHandle(
            h -> {
              StringBuilder sb = new StringBuilder();
              for (String t :
                  List.of("keyring", "data_keys", "audit_keys", "audit_head", "audit_log")) {
                sb.append(t)
                    .append(
                        h.createQuery("SELECT * FROM " + t)
                            .mapToMap()
                            .list()
                            .toString()
                            .replaceAll("\\[B@[0-9a-f]+", "bytes"))
                    .append('\n');
              }
              sb.append(
                  h.createQuery("SELECT COUNT(*) FROM \"flyway_schema_history\"")
                      .mapTo(Long.class)
                      .one());
              return sb.toString();
            });
  }

  @Test
  @DisplayName("rotating the master key keeps secrets and the audit chain; only the new key opens")
  void masterKeyRotation() throws Exception {
    StoreConfig config = freshConfig();
    Store store = open(config, keyA);
    SecretValue secret = SecretValue.of("rotating-secret-" + UUID.randomUUID());
    byte[] sealed = store.transact((StoreTx tx) -> tx.sealer().seal(secret, "ctx"));
    for (int i = 0; i < 5; i++) {
      int n = i;
      store.transact(
          (StoreTx tx) -> tx.audit().append(AuditEvent.success("lease.issue", "ci", "l/" + n)));
    }
    Checkpoint before = store.transact((StoreTx tx) -> tx.audit().checkpoint());

    store.rotateMasterKey(keyB);

    // Online: the running store keeps working with the new key.
    assertThat(store.sealer().open(sealed, "ctx")).isEqualTo(secret);
    byte[] sealedAfter = store.sealer().seal(secret, "ctx");
    store.transact(
        (StoreTx tx) -> tx.audit().append(AuditEvent.success("admin.rotate", "root", "key")));
    store.close();

    assertThatThrownBy(() -> open(config, keyA))
        .isInstanceOfSatisfying(
            SightlineException.class,
            e -> assertThat(e.getMessage()).contains("test key A").contains(keyB.id()));

    Store reopened = open(config, keyB);
    assertThat(reopened.sealer().open(sealed, "ctx")).isEqualTo(secret);
    assertThat(reopened.sealer().open(sealedAfter, "ctx")).isEqualTo(secret);
    Verification v = reopened.transact((StoreTx tx) -> tx.audit().verify(Optional.of(before)));
    assertThat(v.ok()).as(v.message()).isTrue();
    assertThat(v.checked()).isEqualTo(6);
    assertThat(
            sql2(
                reopened,
                "SELECT COUNT(*) FROM data_keys WHERE master_key_id = '" + keyB.id() + "'"))
        .isEqualTo(2);
  }

  private static long sql2(Store store, String query) {
    return ((JdbiStore) store).jdbi().withHandle(h -> h.createQuery(query).mapTo(Long.class).one());
  }

  // ---------------------------------------------------------------- OIDC issuer keys

  @Test
  @DisplayName(
      "the issuer key set starts empty, is saved sealed, and still opens after a master-key rotation")
  void issuerKeysAreSealedAndSurviveAMasterKeyRotation() throws Exception {
    StoreConfig config = freshConfig();
    Store store = open(config, keyA);
    assertThat(store.transact((StoreTx tx) -> tx.issuerKeys().load())).isEmpty();
    SecretValue keys = SecretValue.of("{\"keys\":[{\"d\":\"" + UUID.randomUUID() + "\"}]}");
    store.transact(
        (StoreTx tx) -> {
          tx.issuerKeys().save(keys);
          return null;
        });
    byte[] raw =
        ((JdbiStore) store)
            .jdbi()
            .withHandle(
                h ->
                    h.createQuery("SELECT sealed FROM oidc_issuer_keys WHERE id = 1")
                        .mapTo(byte[].class)
                        .one());
    assertThat(new String(raw, StandardCharsets.ISO_8859_1)).doesNotContain(keys.reveal());
    assertThat(store.transact((StoreTx tx) -> tx.issuerKeys().lockAndLoad())).contains(keys);

    store.rotateMasterKey(keyB);
    store.close();
    Store reopened = open(config, keyB);
    assertThat(reopened.transact((StoreTx tx) -> tx.issuerKeys().load())).contains(keys);
  }

  @Test
  @DisplayName(
      "writers that lock the issuer key set take turns: concurrent starts agree on one first key")
  void concurrentFirstIssuerKeysConvergeOnOne() throws Exception {
    Store store = open(freshConfig(), keyA);
    int threads = 6;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
    try {
      List<Future<SecretValue>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        SecretValue mine = SecretValue.of("first-key-of-writer-" + t);
        futures.add(
            pool.submit(
                () -> {
                  go.await();
                  return store.transact(
                      (StoreTx tx) -> {
                        Optional<SecretValue> current = tx.issuerKeys().lockAndLoad();
                        if (current.isPresent()) {
                          return current.get();
                        }
                        try {
                          Thread.sleep(100); // a slow key generation widens the race window
                        } catch (InterruptedException e) {
                          Thread.currentThread().interrupt();
                        }
                        tx.issuerKeys().save(mine);
                        return mine;
                      });
                }));
      }
      go.countDown();
      java.util.Set<SecretValue> seen = new java.util.HashSet<>();
      for (Future<SecretValue> f : futures) {
        seen.add(f.get(60, TimeUnit.SECONDS));
      }
      assertThat(seen).hasSize(1);
      assertThat(store.transact((StoreTx tx) -> tx.issuerKeys().load()))
          .contains(seen.iterator().next());
    } finally {
      pool.shutdownNow();
    }
  }

  // ---------------------------------------------------------------- audit

  @Test
  @DisplayName("audit records list newest first, filter by fields and time, and page by cursor")
  void auditListsFiltersAndPages() throws Exception {
    Store store = open(freshConfig(), keyA);
    for (int i = 1; i <= 25; i++) {
      int n = i;
      clock.advance(Duration.ofMinutes(1));
      store.transact(
          (StoreTx tx) ->
              tx.audit()
                  .append(
                      new AuditEvent(
                          n % 5 == 0 ? "token.revoke" : "token.create",
                          n % 2 == 0 ? "alice" : "bob",
                          "token/" + n,
                          n == 7 ? "denied" : "success",
                          "req-" + n,
                          Map.of(
                              "n",
                              n,
                              "tags",
                              List.of("a", "b"),
                              "nested",
                              Map.of("z", 1, "a", true)))));
    }
    Page first = store.transact((StoreTx tx) -> tx.audit().list(Query.newest(10)));
    assertThat(first.records()).extracting(AuditRecord::seq).startsWith(25L, 24L).hasSize(10);
    assertThat(first.nextBeforeSeq()).isEqualTo(16L);
    Page second =
        store.transact(
            (StoreTx tx) ->
                tx.audit().list(new Query(null, null, null, null, null, null, 16L, 10)));
    assertThat(second.records()).extracting(AuditRecord::seq).startsWith(15L).endsWith(6L);
    Page third =
        store.transact(
            (StoreTx tx) -> tx.audit().list(new Query(null, null, null, null, null, null, 6L, 10)));
    assertThat(third.records()).extracting(AuditRecord::seq).containsExactly(5L, 4L, 3L, 2L, 1L);
    assertThat(third.nextBeforeSeq()).isNull();

    AuditRecord r = first.records().get(0);
    assertThat(r.action()).isEqualTo("token.revoke");
    assertThat(r.actor()).isEqualTo("bob");
    assertThat(r.target()).isEqualTo("token/25");
    assertThat(r.requestId()).isEqualTo("req-25");
    assertThat(r.at()).isEqualTo(T0.plus(Duration.ofMinutes(25)));
    assertThat(r.details())
        .containsEntry("n", 25)
        .containsEntry("tags", List.of("a", "b"))
        .containsEntry("nested", Map.of("a", true, "z", 1));

    assertThat(
            store
                .transact(
                    (StoreTx tx) ->
                        tx.audit()
                            .list(
                                new Query(
                                    "token.revoke", "alice", null, null, null, null, null, 50)))
                .records())
        .extracting(AuditRecord::seq)
        .containsExactly(20L, 10L);
    assertThat(
            store
                .transact(
                    (StoreTx tx) ->
                        tx.audit()
                            .list(new Query(null, null, null, "denied", null, null, null, 50)))
                .records())
        .extracting(AuditRecord::target)
        .containsExactly("token/7");
    assertThat(
            store
                .transact(
                    (StoreTx tx) ->
                        tx.audit()
                            .list(new Query(null, null, "token/3", null, null, null, null, 50)))
                .records())
        .hasSize(1);
    Page window =
        store.transact(
            (StoreTx tx) ->
                tx.audit()
                    .list(
                        new Query(
                            null,
                            null,
                            null,
                            null,
                            T0.plus(Duration.ofMinutes(3)),
                            T0.plus(Duration.ofMinutes(6)),
                            null,
                            50)));
    assertThat(window.records()).extracting(AuditRecord::seq).containsExactly(5L, 4L, 3L);
  }

  @Test
  @DisplayName("audit details that are not plain values, or too long fields, are refused with 400")
  void badAuditInputIsRefused() throws Exception {
    Store store = open(freshConfig(), keyA);
    assertThatThrownBy(
            () ->
                store.transact(
                    (StoreTx tx) ->
                        tx.audit()
                            .append(
                                AuditEvent.success("x.y", "a", "t")
                                    .withDetails(Map.of("when", new Object())))))
        .isInstanceOfSatisfying(
            SightlineException.class,
            e -> {
              assertThat(e.status()).isEqualTo(400);
              assertThat(e.field()).isEqualTo("details.when");
            });
    assertThatThrownBy(
            () ->
                store.transact(
                    (StoreTx tx) ->
                        tx.audit().append(AuditEvent.success("x".repeat(101), "a", "t"))))
        .isInstanceOfSatisfying(
            SightlineException.class, e -> assertThat(e.field()).isEqualTo("action"));
    assertThat(store.transact((StoreTx tx) -> tx.audit().verify()).checked()).isZero();
  }

  @Test
  @DisplayName("an intact chain verifies, also against its stored and external checkpoints")
  void intactChainVerifies() throws Exception {
    Store store = open(freshConfig(), keyA);
    assertThat(store.transact((StoreTx tx) -> tx.audit().verify()).ok()).isTrue();
    Checkpoint empty = store.transact((StoreTx tx) -> tx.audit().checkpoint());
    assertThat(empty.seq()).isZero();
    append(store, 12);
    Checkpoint cp = store.transact((StoreTx tx) -> tx.audit().checkpoint());
    assertThat(cp.seq()).isEqualTo(12);
    assertThat(Checkpoint.parse("12:00 INFO audit " + cp.toLine())).isEqualTo(cp);
    assertThat(store.transact((StoreTx tx) -> tx.audit().latestCheckpoint())).contains(cp);
    append(store, 3);
    Verification v = store.transact((StoreTx tx) -> tx.audit().verify(Optional.of(cp)));
    assertThat(v.ok()).as(v.message()).isTrue();
    assertThat(v.checked()).isEqualTo(15);
    assertThat(v.firstBrokenSeq()).isNull();
    assertThat(v.missingTail()).isFalse();
    assertThat(store.transact((StoreTx tx) -> tx.audit().verify(Optional.of(empty))).ok()).isTrue();
  }

  @Test
  @DisplayName("changing one audit row in the database makes verify fail naming that record")
  void tamperedRecordIsNamed() throws Exception {
    Store store = open(freshConfig(), keyA);
    append(store, 10);
    sql(store, h -> h.execute("UPDATE audit_log SET actor = 'mallory' WHERE seq = 4"));
    Verification v = store.transact((StoreTx tx) -> tx.audit().verify());
    assertThat(v.ok()).isFalse();
    assertThat(v.firstBrokenSeq()).isEqualTo(4L);
    assertThat(v.checked()).isEqualTo(3);
    assertThat(v.message()).contains("record 4");
  }

  @Test
  @DisplayName("changing audit details, or re-linking a forged record without the key, is detected")
  void forgedDetailsAreDetected() throws Exception {
    Store store = open(freshConfig(), keyA);
    append(store, 6);
    sql(
        store,
        h -> {
          h.execute("UPDATE audit_log SET details = '{\"n\":99}' WHERE seq = 6");
        });
    assertThat(store.transact((StoreTx tx) -> tx.audit().verify()).firstBrokenSeq()).isEqualTo(6L);
  }

  @Test
  @DisplayName("deleting a record in the middle names the missing record")
  void deletedMiddleRecordIsNamed() throws Exception {
    Store store = open(freshConfig(), keyA);
    append(store, 8);
    sql(store, h -> h.execute("DELETE FROM audit_log WHERE seq = 5"));
    Verification v = store.transact((StoreTx tx) -> tx.audit().verify());
    assertThat(v.ok()).isFalse();
    assertThat(v.firstBrokenSeq()).isEqualTo(5L);
    assertThat(v.message()).contains("record 5 is missing");
  }

  @Test
  @DisplayName("deleting the newest records is detected by the chain head and stored checkpoint")
  void cutTailIsDetectedFromTheDatabase() throws Exception {
    Store store = open(freshConfig(), keyA);
    append(store, 10);
    sql(store, h -> h.execute("DELETE FROM audit_log WHERE seq > 8"));
    Verification naive = store.transact((StoreTx tx) -> tx.audit().verify());
    assertThat(naive.ok()).isFalse();
    assertThat(naive.missingTail()).isTrue();
    assertThat(naive.message()).contains("9 to 10");

    // A smarter writer also rewinds the head row: the stored checkpoint still tells.
    Store other = open(freshConfig(), keyA);
    append(other, 10);
    other.transact((StoreTx tx) -> tx.audit().checkpoint());
    rewindTo(other, 7);
    Verification v = other.transact((StoreTx tx) -> tx.audit().verify());
    assertThat(v.ok()).isFalse();
    assertThat(v.missingTail()).isTrue();
    assertThat(v.message()).contains("8 to 10").contains("stored checkpoint");
  }

  @Test
  @DisplayName(
      "deleting the newest records and every stored checkpoint is caught by the external one")
  void cutTailIsDetectedWithTheExternalCheckpoint() throws Exception {
    Store store = open(freshConfig(), keyA);
    append(store, 10);
    Checkpoint external = store.transact((StoreTx tx) -> tx.audit().checkpoint());
    String line = external.toLine(); // what the server wrote to its log
    rewindTo(store, 6);
    sql(store, h -> h.execute("DELETE FROM audit_checkpoints"));

    assertThat(store.transact((StoreTx tx) -> tx.audit().verify()).ok())
        .as("without an outside checkpoint, a consistent cut cannot be seen")
        .isTrue();
    Verification v =
        store.transact((StoreTx tx) -> tx.audit().verify(Optional.of(Checkpoint.parse(line))));
    assertThat(v.ok()).isFalse();
    assertThat(v.missingTail()).isTrue();
    assertThat(v.message()).contains("7 to 10").contains("external checkpoint");
  }

  @Test
  @DisplayName("a forged external checkpoint is refused")
  void forgedExternalCheckpointFails() throws Exception {
    Store store = open(freshConfig(), keyA);
    append(store, 3);
    Checkpoint cp = store.transact((StoreTx tx) -> tx.audit().checkpoint());
    Checkpoint forged = new Checkpoint(2, cp.link(), cp.at(), cp.keyId(), cp.signature());
    Verification v = store.transact((StoreTx tx) -> tx.audit().verify(Optional.of(forged)));
    assertThat(v.ok()).isFalse();
    assertThat(v.message()).contains("external checkpoint").contains("invalid signature");
    assertThatThrownBy(() -> Checkpoint.parse("seq=1"))
        .isInstanceOfSatisfying(
            SightlineException.class, e -> assertThat(e.code()).isEqualTo("INVALID_CHECKPOINT"));
  }

  @Test
  @DisplayName("appends from many threads at once keep one valid chain without gaps")
  void concurrentAppendsKeepTheChainValid() throws Exception {
    Store store = open(freshConfig(), keyA);
    int threads = 8;
    int each = 25;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        futures.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < each; i++) {
                    int n = i;
                    store.transact(
                        (StoreTx tx) ->
                            tx.audit()
                                .append(
                                    AuditEvent.success(
                                        "lease.issue", "worker-" + thread, "l/" + n)));
                  }
                  return null;
                }));
      }
      for (Future<?> f : futures) {
        f.get(120, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    Verification v = store.transact((StoreTx tx) -> tx.audit().verify());
    assertThat(v.ok()).as(v.message()).isTrue();
    assertThat(v.checked()).isEqualTo(threads * each);
    assertThat(countRows(store, "audit_log")).isEqualTo(threads * each);
  }

  @Test
  @DisplayName("ping answers and describe names the storage")
  void pingAndDescribe() throws Exception {
    Store store = open(freshConfig(), keyA);
    store.ping();
    assertThat(store.describe()).isNotBlank();
  }

  // ---------------------------------------------------------------- leases

  static Leases.NewLease newLease(String id, String handleHash, Instant expires) {
    return new Leases.NewLease(
        id,
        "conn-id",
        "prod",
        "token-request",
        Leases.State.ISSUING,
        "web",
        "sightline-prod",
        "sightline-deployer-web",
        Map.of("connection", "prod", "namespace", "web"),
        Map.of("pipeline", "app", "attempt", 1),
        "alice",
        null,
        900,
        List.of(),
        handleHash,
        expires,
        expires.plus(Duration.ofHours(12)),
        true);
  }

  @Test
  @DisplayName(
      "grouped writes from many threads each commit or fail alone, answer after their commit, and"
          + " their audit records chain")
  void groupedWritesCommitOrFailAlone() throws Exception {
    Store store = open(freshConfig(), keyA);
    Instant exp = T0.plus(Duration.ofMinutes(15));
    int n = 24;
    ExecutorService pool = Executors.newFixedThreadPool(n);
    java.util.concurrent.CountDownLatch leaderInside = new java.util.concurrent.CountDownLatch(1);
    try {
      // The first work holds its group open until every other call has queued behind it, so the
      // next group holds many works: some fail, one collides with another's lease id.
      Future<Leases.LeaseRecord> first =
          pool.submit(
              () ->
                  store.transactGrouped(
                      (StoreTx tx) -> {
                        leaderInside.countDown();
                        sleep(300);
                        return tx.leases().create(newLease("g-first", "f".repeat(64), exp));
                      }));
      leaderInside.await(10, TimeUnit.SECONDS);
      List<Future<Leases.LeaseRecord>> calls = new ArrayList<>();
      for (int i = 0; i < n - 1; i++) {
        int k = i;
        calls.add(
            pool.submit(
                () ->
                    store.transactGrouped(
                        (StoreTx tx) -> {
                          String id = k == 7 ? "g-3" : "g-" + k;
                          Leases.LeaseRecord r =
                              tx.leases().create(newLease(id, String.format("%064x", k + 1), exp));
                          tx.audit().append(AuditEvent.success("lease.issue", "alice", id));
                          if (k % 5 == 4) {
                            throw new IllegalStateException("work " + k + " fails");
                          }
                          return r;
                        })));
      }
      assertThat(first.get(10, TimeUnit.SECONDS).id()).isEqualTo("g-first");
      int ok = 0;
      for (int i = 0; i < calls.size(); i++) {
        int k = i;
        if (k % 5 == 4) {
          assertThatThrownBy(() -> calls.get(k).get(10, TimeUnit.SECONDS))
              .hasCauseInstanceOf(IllegalStateException.class)
              .hasMessageContaining("work " + k + " fails");
        } else if (k == 3 || k == 7) {
          // Two works create lease g-3: whichever ran second fails with LEASE_EXISTS.
          try {
            assertThat(calls.get(k).get(10, TimeUnit.SECONDS).id()).isEqualTo("g-3");
            ok++;
          } catch (java.util.concurrent.ExecutionException e) {
            assertThat(e.getCause())
                .isInstanceOfSatisfying(
                    SightlineException.class,
                    se -> assertThat(se.code()).isEqualTo("LEASE_EXISTS"));
          }
        } else {
          Leases.LeaseRecord r = calls.get(k).get(10, TimeUnit.SECONDS);
          assertThat(r.id()).isEqualTo("g-" + k);
          // Answered only once committed: another transaction sees it.
          assertThat(store.transact((StoreTx tx) -> tx.leases().find("g-" + k))).isPresent();
          ok++;
        }
      }
      int failing =
          (int) java.util.stream.IntStream.range(0, n - 1).filter(k -> k % 5 == 4).count();
      assertThat(ok).isEqualTo(n - 1 - failing - 1);
      assertThat(countRows(store, "leases")).isEqualTo(1 + ok);
      assertThat(countRows(store, "audit_log")).isEqualTo(ok);
      for (int k = 4; k < n - 1; k += 5) {
        String id = "g-" + k;
        assertThat(store.transact((StoreTx tx) -> tx.leases().find(id))).isEmpty();
      }
      Verification v = store.transact((StoreTx tx) -> tx.audit().verify(Optional.empty()));
      assertThat(v.ok()).as(v.message()).isTrue();
      assertThat(v.checked()).isEqualTo(ok);
    } finally {
      pool.shutdownNow();
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Test
  @DisplayName(
      "a lease goes issuing -> active -> revoked, keeps only hashes, and a handle matches only its own lease")
  void leaseLifecycle() throws Exception {
    Store store = open(freshConfig(), keyA);
    Instant exp = T0.plus(Duration.ofMinutes(15));
    Leases.LeaseRecord l =
        store.transact((StoreTx tx) -> tx.leases().create(newLease("l1", "a".repeat(64), exp)));
    assertThat(l.state()).isEqualTo(Leases.State.ISSUING);
    assertThat(l.task()).containsEntry("pipeline", "app");
    store.transact((StoreTx tx) -> tx.leases().create(newLease("l2", "b".repeat(64), exp)));
    assertThat(store.transact((StoreTx tx) -> tx.leases().handleMatches("l1", "a".repeat(64))))
        .isTrue();
    assertThat(store.transact((StoreTx tx) -> tx.leases().handleMatches("l1", "b".repeat(64))))
        .isFalse();
    store.transact(
        (StoreTx tx) -> {
          tx.leases().activate("l1", "jti-1", "c".repeat(64), exp, 900);
          return null;
        });
    assertThat(store.transact((StoreTx tx) -> tx.leases().list(true, T0, 10)))
        .extracting(Leases.LeaseRecord::id)
        .containsExactly("l1");
    store.transact(
        (StoreTx tx) -> {
          tx.leases().revoke("l1", "bob", T0);
          tx.leases().revoke("l1", "carol", T0.plusSeconds(5));
          return null;
        });
    store.transact(
        (StoreTx tx) -> {
          tx.leases().fail("l1", "a late mint failure");
          return null;
        });
    Leases.LeaseRecord revoked =
        store.transact((StoreTx tx) -> tx.leases().find("l1")).orElseThrow();
    assertThat(revoked.state()).isEqualTo(Leases.State.REVOKED);
    assertThat(revoked.revokedBy()).as("revoking twice keeps the first").isEqualTo("bob");
    assertThat(revoked.jti()).isEqualTo("jti-1");
    assertThatThrownBy(
            () ->
                store.transact(
                    (StoreTx tx) -> tx.leases().create(newLease("l1", "d".repeat(64), exp))))
        .isInstanceOfSatisfying(
            SightlineException.class, e -> assertThat(e.code()).isEqualTo("LEASE_EXISTS"));
  }

  @Test
  @DisplayName(
      "an Idempotency-Key binds once per caller; its sealed answer opens until the lease ends")
  void leaseIdempotencyKeys() throws Exception {
    Store store = open(freshConfig(), keyA);
    Instant exp = T0.plus(Duration.ofMinutes(15));
    store.transact(
        (StoreTx tx) -> {
          tx.leases().create(newLease("l1", "a".repeat(64), exp));
          tx.leases().bindIdempotencyKey("alice", "k1", "l1", "h1", SecretValue.of("slh_handle"));
          return null;
        });
    assertThatThrownBy(
            () ->
                store.transact(
                    (StoreTx tx) -> {
                      tx.leases().create(newLease("l2", "b".repeat(64), exp));
                      tx.leases()
                          .bindIdempotencyKey("alice", "k1", "l2", "h1", SecretValue.of("x"));
                      return null;
                    }))
        .isInstanceOfSatisfying(
            SightlineException.class,
            e -> assertThat(e.code()).isEqualTo("IDEMPOTENCY_KEY_IN_USE"));
    assertThat(store.transact((StoreTx tx) -> tx.leases().find("l2")))
        .as("the losing transaction wrote nothing")
        .isEmpty();
    store.transact(
        (StoreTx tx) -> {
          tx.leases().rememberToken("l1", SecretValue.of("the-token"));
          return null;
        });
    Leases.IdempotentAnswer a =
        store
            .transact((StoreTx tx) -> tx.leases().findByIdempotencyKey("alice", "k1"))
            .orElseThrow();
    assertThat(a.leaseId()).isEqualTo("l1");
    assertThat(a.token().reveal()).isEqualTo("the-token");
    assertThat(a.handle().reveal()).isEqualTo("slh_handle");
    assertThat(store.transact((StoreTx tx) -> tx.leases().findByIdempotencyKey("bob", "k1")))
        .isEmpty();
    store.transact(
        (StoreTx tx) -> {
          tx.leases().revoke("l1", "alice", T0);
          return null;
        });
    Leases.IdempotentAnswer after =
        store
            .transact((StoreTx tx) -> tx.leases().findByIdempotencyKey("alice", "k1"))
            .orElseThrow();
    assertThat(after.token()).as("an ended lease forgets its token").isNull();
  }

  @Test
  @DisplayName(
      "the reaper claims expired, ended and stale issuing leases holding a Secret, one claimant at a time")
  void leaseReaperClaims() throws Exception {
    Store store = open(freshConfig(), keyA);
    Instant exp = T0.plus(Duration.ofMinutes(15));
    store.transact(
        (StoreTx tx) -> {
          tx.leases().create(newLease("fresh", "a".repeat(64), exp)); // issuing, recent
          tx.leases().create(newLease("live", "b".repeat(64), exp));
          tx.leases().activate("live", null, "c".repeat(64), exp, 900);
          tx.leases().create(newLease("old", "d".repeat(64), exp));
          tx.leases().activate("old", null, "e".repeat(64), T0.minusSeconds(1), 900);
          tx.leases().create(newLease("gone", "f".repeat(64), exp));
          tx.leases().fail("gone", "boom");
          tx.leases().setSecretPresent("gone", false);
          tx.leases().create(newLease("ended", "9".repeat(64), exp));
          tx.leases().activate("ended", null, "8".repeat(64), exp, 900);
          tx.leases().revoke("ended", "alice", T0);
          return null;
        });
    Instant claimUntil = T0.plusSeconds(60);
    List<Leases.LeaseRecord> first =
        store.transact(
            (StoreTx tx) -> tx.leases().claimForReaping(T0, T0.minusSeconds(60), claimUntil, 10));
    assertThat(first)
        .as("over leases whose Secret is still there, soonest expiry first")
        .extracting(Leases.LeaseRecord::id)
        .containsExactly("old", "ended");
    assertThat(
            store.transact(
                (StoreTx tx) ->
                    tx.leases().claimForReaping(T0, T0.minusSeconds(60), claimUntil, 10)))
        .as("claimed by another replica")
        .isEmpty();
    List<Leases.LeaseRecord> startup =
        store.transact(
            (StoreTx tx) ->
                tx.leases().claimForReaping(T0.plusSeconds(61), T0.plusSeconds(1), claimUntil, 10));
    assertThat(startup)
        .extracting(Leases.LeaseRecord::id)
        .containsExactlyInAnyOrder("fresh", "old", "ended");
  }

  @Test
  @DisplayName(
      "environments keep resources, checks, deployments in arrival order, approvals and one"
          + " decision per principal; history filters by resource, result and time")
  void environmentsRoundTrip() throws Exception {
    Store store = open(freshConfig(), keyA);
    Environments.EnvironmentRecord e =
        store.transact(
            (StoreTx tx) ->
                tx.environments()
                    .create(
                        "production",
                        "prod",
                        new Trust.PipelinePermissions(false, List.of("github:org/*@**")),
                        List.of(new Environments.RoleGrant("group:ops", "creator")),
                        "alice"));
    assertThat(e.permissions().patterns()).containsExactly("github:org/*@**");
    assertThat(e.roles()).containsExactly(new Environments.RoleGrant("group:ops", "creator"));
    assertThatThrownBy(
            () ->
                store.transact(
                    (StoreTx tx) ->
                        tx.environments()
                            .create(
                                "production", null, Trust.PipelinePermissions.NONE, null, "bob")))
        .isInstanceOfSatisfying(
            SightlineException.class, x -> assertThat(x.code()).isEqualTo("ENVIRONMENT_EXISTS"));
    store.transact(
        (StoreTx tx) -> {
          tx.environments()
              .addResource(
                  e.id(),
                  "web",
                  List.of("eu"),
                  Map.of("connection", "prod", "namespace", "web"),
                  "alice");
          tx.environments()
              .addCheck(
                  Environments.Scope.ENVIRONMENT,
                  e.id(),
                  "exclusiveLock",
                  Map.of("failFast", false),
                  "alice");
          return null;
        });
    assertThat(store.transact((StoreTx tx) -> tx.environments().resources(e.id())))
        .singleElement()
        .satisfies(r -> assertThat(r.target()).containsEntry("namespace", "web"));
    List<Environments.DeploymentRecord> ds = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      clock.advance(Duration.ofSeconds(1));
      String id = "d" + i;
      String result = i == 0 ? "succeeded" : null;
      String claim = "%064d".formatted(i);
      ds.add(
          store.transact(
              (StoreTx tx) -> {
                tx.environments().lock("production").orElseThrow();
                return tx.environments()
                    .createDeployment(
                        new Environments.DeploymentRecord(
                            id,
                            e.id(),
                            "production",
                            "web",
                            0,
                            result == null ? "waiting" : "finished",
                            result,
                            result == null ? null : 0,
                            "bob",
                            "app",
                            null,
                            Map.of("run", "1"),
                            Map.of("connection", "prod", "namespace", "web"),
                            null,
                            List.of(Map.of("id", "c1", "type", "exclusiveLock")),
                            List.of(),
                            null,
                            null,
                            clock.instant(),
                            clock.instant(),
                            clock.instant(),
                            null,
                            null),
                        claim,
                        "bob",
                        "key-" + id,
                        "h");
              }));
    }
    assertThat(ds).extracting(Environments.DeploymentRecord::seq).containsExactly(1L, 2L, 3L);
    assertThat(store.transact((StoreTx tx) -> tx.environments().openDeployments(e.id())))
        .extracting(Environments.DeploymentRecord::id)
        .containsExactly("d1", "d2");
    assertThat(
            store.transact(
                (StoreTx tx) ->
                    tx.environments()
                        .deployments(
                            new Environments.DeploymentQuery(
                                e.id(), "web", "succeeded", "app", T0, null, 10))))
        .extracting(Environments.DeploymentRecord::id)
        .containsExactly("d0");
    assertThat(
            store.transact(
                (StoreTx tx) ->
                    tx.environments()
                        .deployments(
                            new Environments.DeploymentQuery(
                                e.id(), null, null, null, null, null, 10))))
        .extracting(Environments.DeploymentRecord::id)
        .containsExactly("d2", "d1", "d0");
    assertThat(
            store.transact(
                (StoreTx tx) -> tx.environments().claimMatches("d1", "%064d".formatted(1))))
        .isTrue();
    assertThat(
            store.transact(
                (StoreTx tx) -> tx.environments().claimMatches("d1", "%064d".formatted(2))))
        .isFalse();
    assertThat(
            store.transact(
                    (StoreTx tx) -> tx.environments().deploymentByIdempotencyKey("bob", "key-d2"))
                .orElseThrow()[0])
        .isEqualTo("d2");
    store.transact(
        (StoreTx tx) -> {
          tx.environments()
              .createApproval(
                  new Environments.ApprovalRecord(
                      "a1",
                      "d1",
                      "production",
                      "c2",
                      "pending",
                      List.of("group:ops"),
                      2,
                      true,
                      "look",
                      "bob",
                      T0.plus(Duration.ofHours(1)),
                      T0,
                      null));
          tx.environments()
              .addDecision(new Environments.Decision("a1", "carol", "approve", "ok", T0));
          return null;
        });
    assertThatThrownBy(
            () ->
                store.transact(
                    (StoreTx tx) -> {
                      tx.environments()
                          .addDecision(
                              new Environments.Decision("a1", "carol", "approve", "again", T0));
                      return null;
                    }))
        .isInstanceOfSatisfying(
            SightlineException.class, x -> assertThat(x.code()).isEqualTo("ALREADY_DECIDED"));
    assertThat(store.transact((StoreTx tx) -> tx.environments().listApprovals(true, 10)))
        .extracting(Environments.ApprovalRecord::id)
        .containsExactly("a1");
    store.transact(
        (StoreTx tx) -> {
          tx.environments().setApprovalState("a1", "approved", T0);
          Environments.DeploymentRecord d1 = tx.environments().deployment("d1").orElseThrow();
          tx.environments()
              .updateDeployment(
                  d1.with(
                      "finished",
                      "cancelled",
                      null,
                      d1.checks(),
                      List.of("carol"),
                      null,
                      "cancelled by bob",
                      null,
                      T0));
          return null;
        });
    assertThat(store.transact((StoreTx tx) -> tx.environments().listApprovals(true, 10))).isEmpty();
    Environments.DeploymentRecord d1 =
        store.transact((StoreTx tx) -> tx.environments().deployment("d1")).orElseThrow();
    assertThat(d1.result()).isEqualTo("cancelled");
    assertThat(d1.approvers()).containsExactly("carol");
    assertThat(store.transact((StoreTx tx) -> tx.environments().delete(e.id()))).isTrue();
    assertThat(store.transact((StoreTx tx) -> tx.environments().deployment("d0")))
        .as("history outlives its environment")
        .isPresent();
  }

  // ---------------------------------------------------------------- agents
  @Test
  @DisplayName("a registration token is used once, only before it expires, and only by its hash")
  void registrationTokensAreOneTimeAndExpire() throws Exception {
    Store store = open(freshConfig(), keyA);
    store.transact(
        (StoreTx tx) -> {
          tx.agents().ensurePool("private", "alice");
          tx.agents().addRegistrationToken("private", "h1", T0.plusSeconds(3600), "alice");
          tx.agents().addRegistrationToken("private", "h2", T0.plusSeconds(60), "alice");
          return null;
        });
    assertThat(store.transact((StoreTx tx) -> tx.agents().useRegistrationToken("h1", "a1", T0)))
        .hasValueSatisfying(t -> assertThat(t.pool()).isEqualTo("private"));
    assertThat(store.transact((StoreTx tx) -> tx.agents().useRegistrationToken("h1", "a2", T0)))
        .isEmpty();
    assertThat(
            store.transact(
                (StoreTx tx) -> tx.agents().useRegistrationToken("h2", "a3", T0.plusSeconds(61))))
        .isEmpty();
    assertThat(store.transact((StoreTx tx) -> tx.agents().useRegistrationToken("nope", "a4", T0)))
        .isEmpty();
    assertThat(store.transact((StoreTx tx) -> tx.agents().pools()))
        .extracting(Agents.Pool::name)
        .containsExactly("private");
  }

  @Test
  @DisplayName("agents are registered, seen, listed, disabled and removed")
  void agentsAreRegisteredAndManaged() throws Exception {
    Store store = open(freshConfig(), keyA);
    store.transact(
        (StoreTx tx) -> {
          tx.agents().ensurePool("private", "alice");
          tx.agents().register("a1", "private", "agent-1", "{\"kty\":\"EC\"}", "0.1");
          tx.agents().register("a2", "private", "agent-2", "{\"kty\":\"EC\"}", "0.1");
          return null;
        });
    assertThat(store.transact((StoreTx tx) -> tx.agents().list("private")))
        .extracting(Agents.Agent::name)
        .containsExactly("agent-1", "agent-2");
    assertThat(store.transact((StoreTx tx) -> tx.agents().anyOnline("private", T0))).isTrue();
    assertThat(store.transact((StoreTx tx) -> tx.agents().anyOnline("other", T0))).isFalse();
    clock.advance(Duration.ofMinutes(5));
    assertThat(
            store.transact((StoreTx tx) -> tx.agents().anyOnline("private", T0.plusSeconds(200))))
        .isFalse();
    store.transact(
        (StoreTx tx) -> {
          tx.agents().seen("a1", clock.instant(), null);
          return null;
        });
    assertThat(store.transact((StoreTx tx) -> tx.agents().find("a1")).orElseThrow().lastSeenAt())
        .isEqualTo(clock.instant());
    assertThat(store.transact((StoreTx tx) -> tx.agents().setEnabled("a1", false))).isTrue();
    assertThat(
            store.transact((StoreTx tx) -> tx.agents().anyOnline("private", T0.plusSeconds(200))))
        .isFalse();
    assertThat(store.transact((StoreTx tx) -> tx.agents().remove("a2"))).isTrue();
    assertThat(store.transact((StoreTx tx) -> tx.agents().remove("a2"))).isFalse();
    assertThat(store.transact((StoreTx tx) -> tx.agents().list(null)))
        .extracting(Agents.Agent::id)
        .containsExactly("a1");
  }

  @Test
  @DisplayName(
      "jobs are queued once per idempotency key, survive a restart, and a lapsed claim is taken"
          + " by another agent whose answer alone counts")
  void jobsAreClaimedAndRetried() throws Exception {
    StoreConfig config = freshConfig();
    Store store = open(config, keyA);
    byte[] payload = "sealed".getBytes(StandardCharsets.UTF_8);
    Agents.Job queued =
        store.transact(
            (StoreTx tx) ->
                tx.agents()
                    .enqueue(
                        new Agents.NewJob(
                            "j1", "private", "mint", "lease-1", payload, 3, T0.plusSeconds(60))));
    Agents.Job again =
        store.transact(
            (StoreTx tx) ->
                tx.agents()
                    .enqueue(
                        new Agents.NewJob(
                            "j2", "private", "mint", "lease-1", payload, 3, T0.plusSeconds(60))));
    assertThat(again.id()).isEqualTo(queued.id());
    assertThat(queued.state()).isEqualTo(Agents.JobState.QUEUED);
    store.close();

    Store reopened = open(config, keyA);
    assertThat(reopened.transact((StoreTx tx) -> tx.agents().job("j1")))
        .hasValueSatisfying(j -> assertThat(j.sealedPayload()).isEqualTo(payload));
    byte[] key = {1, 2, 3};
    assertThat(reopened.transact((StoreTx tx) -> tx.agents().claimable("private", T0))).isTrue();
    assertThat(reopened.transact((StoreTx tx) -> tx.agents().claimable("other", T0))).isFalse();
    Agents.Job first =
        reopened
            .transact(
                (StoreTx tx) -> tx.agents().claim("private", "a1", T0, T0.plusSeconds(10), key))
            .orElseThrow();
    assertThat(first.state()).isEqualTo(Agents.JobState.RUNNING);
    assertThat(first.agentId()).isEqualTo("a1");
    assertThat(first.attempts()).isEqualTo(1);
    assertThat(
            reopened.transact(
                (StoreTx tx) ->
                    tx.agents().claim("private", "a2", T0.plusSeconds(5), T0.plusSeconds(15), key)))
        .isEmpty();
    Agents.Job second =
        reopened
            .transact(
                (StoreTx tx) ->
                    tx.agents().claim("private", "a2", T0.plusSeconds(11), T0.plusSeconds(21), key))
            .orElseThrow();
    assertThat(second.agentId()).isEqualTo("a2");
    assertThat(second.attempts()).isEqualTo(2);
    assertThat(
            reopened.transact(
                (StoreTx tx) -> tx.agents().complete("j1", "a1", 1, true, new byte[] {9}, null)))
        .isFalse();
    assertThat(
            reopened.transact(
                (StoreTx tx) -> tx.agents().complete("j1", "a2", 1, true, new byte[] {7}, null)))
        .as("an answer to an earlier claim of the same job does not count")
        .isFalse();
    assertThat(
            reopened.transact(
                (StoreTx tx) -> tx.agents().complete("j1", "a2", 2, true, new byte[] {7}, null)))
        .isTrue();
    Agents.Job done = reopened.transact((StoreTx tx) -> tx.agents().job("j1")).orElseThrow();
    assertThat(done.state()).isEqualTo(Agents.JobState.DONE);
    assertThat(done.result()).containsExactly(7);
    clock.advance(Duration.ofHours(2));
    assertThat(
            reopened.transact((StoreTx tx) -> tx.agents().purge(clock.instant().minusSeconds(60))))
        .isEqualTo(1);
    assertThat(reopened.transact((StoreTx tx) -> tx.agents().job("j1"))).isEmpty();
  }

  @Test
  @DisplayName(
      "a claim takes the oldest queued or lapsed job of its pool, never a finished one or one"
          + " whose claim is live; a heartbeat extends only its agent's running jobs")
  void claimsSkipFinishedAndLiveJobs() throws Exception {
    Store store = open(freshConfig(), keyA);
    byte[] p = {1};
    for (int i = 0; i < 5; i++) {
      String id = "done-" + i;
      store.transact(
          (StoreTx tx) ->
              tx.agents()
                  .enqueue(new Agents.NewJob(id, "pool", "mint", null, p, 3, T0.plusSeconds(600))));
      store.transact((StoreTx tx) -> tx.agents().claim("pool", "a0", T0, T0.plusSeconds(30), null));
      store.transact((StoreTx tx) -> tx.agents().complete(id, "a0", 1, true, p, null));
    }
    assertThat(store.transact((StoreTx tx) -> tx.agents().claimable("pool", T0))).isFalse();
    store.transact(
        (StoreTx tx) ->
            tx.agents()
                .enqueue(
                    new Agents.NewJob("live", "pool", "mint", null, p, 3, T0.plusSeconds(600))));
    assertThat(
            store.transact(
                (StoreTx tx) -> tx.agents().claim("pool", "a1", T0, T0.plusSeconds(30), null)))
        .hasValueSatisfying(j -> assertThat(j.id()).isEqualTo("live"));
    clock.advance(Duration.ofMillis(5));
    store.transact(
        (StoreTx tx) ->
            tx.agents()
                .enqueue(
                    new Agents.NewJob("lapses", "pool", "mint", null, p, 3, T0.plusSeconds(600))));
    assertThat(
            store.transact(
                (StoreTx tx) -> tx.agents().claim("pool", "a2", T0, T0.plusSeconds(5), null)))
        .hasValueSatisfying(j -> assertThat(j.id()).isEqualTo("lapses"));
    clock.advance(Duration.ofMillis(5));
    store.transact(
        (StoreTx tx) ->
            tx.agents()
                .enqueue(
                    new Agents.NewJob("queued", "pool", "mint", null, p, 3, T0.plusSeconds(600))));
    assertThat(store.transact((StoreTx tx) -> tx.agents().claimable("other", T0))).isFalse();

    // a1's heartbeat extends "live" only; a2's claim of "lapses" runs out at T0+5 s.
    assertThat(store.transact((StoreTx tx) -> tx.agents().extendClaims("a1", T0.plusSeconds(60))))
        .isEqualTo(1);
    Instant later = T0.plusSeconds(10);
    List<Agents.Job> taken = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      taken.add(
          store
              .transact(
                  (StoreTx tx) ->
                      tx.agents().claim("pool", "a3", later, later.plusSeconds(30), null))
              .orElseThrow());
    }
    assertThat(taken)
        .extracting(Agents.Job::id, Agents.Job::attempts)
        .containsExactlyInAnyOrder(tuple("lapses", 2), tuple("queued", 1));
    assertThat(
            store.transact(
                (StoreTx tx) ->
                    tx.agents().claim("pool", "a3", later, later.plusSeconds(30), null)))
        .as("live is still claimed by a1, the rest are finished")
        .isEmpty();
  }

  @Test
  @DisplayName("a job whose attempts are used up fails naming the pool instead of being claimed")
  void jobsFailAfterTheirAttempts() throws Exception {
    Store store = open(freshConfig(), keyA);
    store.transact(
        (StoreTx tx) ->
            tx.agents()
                .enqueue(
                    new Agents.NewJob(
                        "j1", "edge", "probe", null, new byte[] {1}, 1, T0.plusSeconds(60))));
    store.transact(
        (StoreTx tx) -> tx.agents().claim("edge", "a1", T0, T0.plusSeconds(1), new byte[] {1}));
    assertThat(
            store.transact(
                (StoreTx tx) ->
                    tx.agents()
                        .claim("edge", "a2", T0.plusSeconds(2), T0.plusSeconds(3), new byte[] {1})))
        .isEmpty();
    Agents.Job failed = store.transact((StoreTx tx) -> tx.agents().job("j1")).orElseThrow();
    assertThat(failed.state()).isEqualTo(Agents.JobState.FAILED);
    assertThat(failed.error()).startsWith("AGENT_LOST").contains("edge");
  }

  @Test
  @DisplayName(
      "resources on a connection are those naming it exactly, kubernetes or azurerm, never a"
          + " connection whose name only looks alike")
  void resourcesOnOneConnection() throws Exception {
    Store store = open(freshConfig(), keyA);
    store.transact(
        (StoreTx tx) -> {
          Environments.EnvironmentRecord e =
              tx.environments()
                  .create("lookalikes", null, Trust.PipelinePermissions.NONE, List.of(), "alice");
          tx.environments()
              .addResource(
                  e.id(), "a", List.of(), Map.of("connection", "prod", "namespace", "a"), "alice");
          tx.environments()
              .addResource(
                  e.id(), "b", List.of(), Map.of("connection", "prod2", "namespace", "b"), "alice");
          tx.environments()
              .addResource(
                  e.id(), "c", List.of(), Map.of("connection", "pro_d", "namespace", "c"), "alice");
          tx.environments()
              .addResource(
                  e.id(),
                  "d",
                  List.of(),
                  Map.of(
                      "azureConnection",
                      "prod",
                      "resourceGroup",
                      "rg",
                      "cluster",
                      "aks",
                      "namespace",
                      "d"),
                  "alice");
          tx.environments()
              .addResource(
                  e.id(), "e", List.of(), Map.of("connection", "x%", "namespace", "e"), "alice");
          return null;
        });
    store.transact(
        (StoreTx tx) -> {
          assertThat(tx.environments().resourcesOn("prod"))
              .extracting(Environments.ResourceRecord::name)
              .containsExactly("a", "d");
          assertThat(tx.environments().resourcesOn("pro_d"))
              .extracting(Environments.ResourceRecord::name)
              .containsExactly("c");
          assertThat(tx.environments().resourcesOn("x%"))
              .extracting(Environments.ResourceRecord::name)
              .containsExactly("e");
          assertThat(tx.environments().resourcesOn("pro")).isEmpty();
          return null;
        });
  }

  @Test
  @DisplayName(
      "concurrent deployments of one environment, each under its row lock, get distinct"
          + " consecutive queue numbers")
  void deploymentQueueUnderContention() throws Exception {
    Store store = open(freshConfig(), keyA);
    Environments.EnvironmentRecord e =
        store.transact(
            (StoreTx tx) ->
                tx.environments()
                    .create("queue", null, Trust.PipelinePermissions.NONE, List.of(), "alice"));
    int n = 8;
    ExecutorService pool = Executors.newFixedThreadPool(n);
    List<Future<Long>> seqs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String id = "q" + i;
      String claim = "%064d".formatted(i);
      seqs.add(
          pool.submit(
              () ->
                  store.transact(
                      (StoreTx tx) -> {
                        tx.environments().lock("queue").orElseThrow();
                        return tx.environments()
                            .createDeployment(
                                new Environments.DeploymentRecord(
                                    id, e.id(), "queue", "web", 0, "waiting", null, null, "bob",
                                    null, null, Map.of(), Map.of(), null, List.of(), List.of(),
                                    null, null, T0, T0, T0, null, null),
                                claim,
                                "bob",
                                null,
                                null)
                            .seq();
                      })));
    }
    List<Long> got = new ArrayList<>();
    for (Future<Long> f : seqs) {
      got.add(f.get(30, TimeUnit.SECONDS));
    }
    pool.shutdown();
    assertThat(got).containsExactlyInAnyOrder(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L);
    assertThat(store.transact((StoreTx tx) -> tx.environments().openDeployments(e.id())))
        .extracting(Environments.DeploymentRecord::seq)
        .containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L);
  }

  protected static void append(Store store, int n) {
    for (int i = 1; i <= n; i++) {
      int k = i;
      store.transact(
          (StoreTx tx) ->
              tx.audit()
                  .append(
                      AuditEvent.success("token.create", "alice", "token/" + k)
                          .withDetails(Map.of("n", k))));
    }
  }

  /** Deletes every record after {@code seq} and points the head row at {@code seq}. */
  protected static void rewindTo(Store store, long seq) {
    sql(
        store,
        h -> {
          String link =
              h.createQuery("SELECT link FROM audit_log WHERE seq = :s")
                  .bind("s", seq)
                  .mapTo(String.class)
                  .one();
          h.createUpdate("DELETE FROM audit_log WHERE seq > :s").bind("s", seq).execute();
          h.createUpdate("UPDATE audit_head SET seq = :s, link = :l WHERE id = 1")
              .bind("s", seq)
              .bind("l", link)
              .execute();
        });
  }
}
