package io.sightline.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sightline.core.AuditEvent;
import io.sightline.core.Role;
import io.sightline.core.SecretValue;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The store contract on a real PostgreSQL 14, plus losing and regaining the database. */
class PostgresStoreIT extends StoreContract {
  private static Path dataDir;
  private static int port;
  private static EmbeddedPostgres pg;
  private static int databases;

  @BeforeAll
  static void startPostgres() throws IOException {
    dataDir = Files.createTempDirectory("sightline-pg-");
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    pg = start();
  }

  private static EmbeddedPostgres start() throws IOException {
    return EmbeddedPostgres.builder()
        .setDataDirectory(dataDir.resolve("cluster"))
        .setCleanDataDirectory(false)
        .setPort(port)
        .start();
  }

  @AfterAll
  static void stopPostgres() throws IOException {
    if (pg != null) {
      pg.close();
    }
    try (Stream<Path> files = Files.walk(dataDir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  @Override
  protected StoreConfig freshConfig() throws Exception {
    String db = "sightline_" + (++databases);
    try (Connection c = pg.getPostgresDatabase().getConnection();
        Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE " + db);
    }
    return StoreConfig.postgres(
        dataDir.resolve("server-" + databases),
        "jdbc:postgresql://127.0.0.1:" + port + "/" + db,
        "postgres",
        SecretValue.of("unused-password"));
  }

  @Override
  protected List<Path> rawFiles(Store store, StoreConfig config) throws Exception {
    String db = config.jdbcUrl().substring(config.jdbcUrl().lastIndexOf('/') + 1);
    long oid;
    try (Connection c = pg.getPostgresDatabase().getConnection();
        Statement st = c.createStatement()) {
      st.execute("CHECKPOINT");
      try (ResultSet rs =
          st.executeQuery("SELECT oid FROM pg_database WHERE datname = '" + db + "'")) {
        rs.next();
        oid = rs.getLong(1);
      }
    }
    Path cluster = dataDir.resolve("cluster");
    List<Path> out = new ArrayList<>();
    pgDump(db).ifPresent(out::add);
    for (Path dir :
        List.of(cluster.resolve("base").resolve(Long.toString(oid)), cluster.resolve("pg_wal"))) {
      try (Stream<Path> files = Files.walk(dir)) {
        files.filter(Files::isRegularFile).forEach(out::add);
      }
    }
    return out;
  }

  /**
   * A plain-SQL dump of {@code db} by pg_dump (≥ 14; Debian's postgresql-client, which .ci/run
   * installs). The raw data-directory scan runs either way; the dump is the form a backup takes.
   */
  private static java.util.Optional<Path> pgDump(String db) throws Exception {
    Path pgDump = Path.of("/usr/bin/pg_dump");
    assertThat(Files.isExecutable(pgDump))
        .as("pg_dump is missing: install Debian's postgresql-client (.ci/run does)")
        .isTrue();
    Path out = dataDir.resolve(db + ".sql");
    Process p =
        new ProcessBuilder(
                pgDump.toString(),
                "--host=127.0.0.1",
                "--port=" + port,
                "--username=postgres",
                "--no-password",
                "--file=" + out,
                db)
            .redirectErrorStream(true)
            .start();
    p.getOutputStream().close();
    String log =
        new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("pg_dump: " + log).isZero();
    assertThat(out).isNotEmptyFile();
    dumped = out;
    return java.util.Optional.of(out);
  }

  private static Path dumped;

  @Test
  @DisplayName(
      "two stores on one database (two replicas' pools) appending at once keep one unbroken chain")
  void concurrentAppendsFromTwoStoresKeepTheChain() throws Exception {
    StoreConfig config = freshConfig();
    Store a = open(config, keyA);
    Store b = open(config, keyA);
    int perThread = 60;
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newFixedThreadPool(8);
    List<java.util.concurrent.Future<?>> done = new ArrayList<>();
    for (int t = 0; t < 8; t++) {
      Store s = t % 2 == 0 ? a : b;
      String actor = "writer-" + t;
      done.add(
          pool.submit(
              () -> {
                for (int i = 0; i < perThread; i++) {
                  String target = "x/" + i;
                  s.transact(
                      tx ->
                          tx.audit()
                              .append(
                                  new AuditEvent(
                                      "test.append", actor, target, "success", null, null)));
                }
              }));
    }
    for (var f : done) {
      f.get(120, java.util.concurrent.TimeUnit.SECONDS);
    }
    pool.shutdown();
    AuditLog.Verification v = a.transact(tx -> tx.audit().verify(java.util.Optional.empty()));
    assertThat(v.ok()).as(v.message()).isTrue();
    assertThat(countRows(a, "audit_log")).isEqualTo(8L * perThread);
    assertThat(v.checked()).isEqualTo(8L * perThread);
    AuditLog.Verification vb = b.transact(tx -> tx.audit().verify(java.util.Optional.empty()));
    assertThat(vb.ok()).as(vb.message()).isTrue();
  }

  @Test
  @DisplayName("one leader at a time; leadership moves when the holder's session ends")
  void leaderLockMovesWhenTheHolderGoes() throws Exception {
    StoreConfig config = freshConfig();
    Store a = open(config, keyA);
    Store b = open(config, keyA);
    try (LeaderLock la = a.leaderLock();
        LeaderLock lb = b.leaderLock()) {
      assertThat(la.tryHold()).isTrue();
      assertThat(lb.tryHold()).as("a second replica does not lead").isFalse();
      assertThat(la.tryHold()).as("the holder keeps it").isTrue();
      // The holder's session is cut (as when its process is killed): the lock is free at once.
      try (Connection c = pg.getPostgresDatabase().getConnection();
          Statement st = c.createStatement()) {
        st.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                + " WHERE application_name = 'sightline-leader-lock' AND pid <> pg_backend_pid()"
                + " AND datname = '"
                + config.jdbcUrl().substring(config.jdbcUrl().lastIndexOf('/') + 1)
                + "' AND pid IN (SELECT pid FROM pg_locks WHERE locktype = 'advisory')");
      }
      // pg_terminate_backend only signals the backend: its lock goes when it has exited, a moment
      // later (longer on a loaded machine). The other replica takes over on a later check.
      long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
      boolean took = lb.tryHold();
      while (!took && System.nanoTime() < deadline) {
        Thread.sleep(50);
        took = lb.tryHold();
      }
      assertThat(took).as("the other replica takes over within 10 s").isTrue();
      assertThat(la.tryHold()).as("the old holder notices it lost its session").isFalse();
      assertThat(la.tryHold()).as("and does not take it back while it is held").isFalse();
      lb.close();
      assertThat(la.tryHold()).as("released on close").isTrue();
    }
  }

  @Test
  @DisplayName("a pg_dump of the store carries no plaintext either")
  void dumpIsScanned() throws Exception {
    dumped = null;
    canarySecretsNeverReachTheDisk();
    assertThat(dumped).isNotNull();
    assertThat(Files.readString(dumped)).contains("CONTROL-").contains("data_keys");
  }

  @Test
  @DisplayName("describe() names the PostgreSQL host, port and database")
  void describeNamesTheDatabase() throws Exception {
    StoreConfig config = freshConfig();
    Store store = open(config, keyA);
    assertThat(store.describe())
        .isEqualTo("PostgreSQL 127.0.0.1:" + port + "/sightline_" + databases);
    assertThat(store.isExternal()).isTrue();
  }

  @Test
  @DisplayName("a PostgreSQL that is down at start is a quick 503, not a hang")
  void databaseDownAtStartIsUnavailable() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    StoreConfig config =
        StoreConfig.postgres(
            dataDir.resolve("nowhere"),
            "jdbc:postgresql://127.0.0.1:" + closedPort + "/sightline",
            "postgres",
            null);
    long start = System.nanoTime();
    assertThatThrownBy(() -> open(config, keyA))
        .isInstanceOfSatisfying(
            StoreUnavailableException.class,
            e -> {
              assertThat(e.status()).isEqualTo(503);
              assertThat(e.retryAfterSeconds()).isPositive();
              assertThat(e.getMessage()).contains("127.0.0.1:" + closedPort);
            });
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(8));
  }

  @Test
  @DisplayName("when PostgreSQL goes away calls fail fast with 503, and work again once it is back")
  void databaseOutageAndRecovery() throws Exception {
    Store store = open(freshConfig(), keyA);
    store.transact(tx -> tx.audit().append(AuditEvent.success("token.create", "a", "t/1")));

    pg.close();
    try {
      long start = System.nanoTime();
      assertThatThrownBy(
              () ->
                  store.transact(
                      tx -> tx.tokens().create("x", Role.USER, List.of(), Duration.ofDays(1), "a")))
          .isInstanceOf(StoreUnavailableException.class);
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(8));
      assertThatThrownBy(store::ping).isInstanceOf(StoreUnavailableException.class);
    } finally {
      pg = start();
    }

    // Same store object, no reopen: it answers again once the pool has a new connection (each
    // failure meanwhile is a quick 503, never a hang or another error).
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (true) {
      try {
        store.ping();
        break;
      } catch (StoreUnavailableException e) {
        assertThat(System.nanoTime()).as("recovered within 30 s").isLessThan(deadline);
        Thread.sleep(200);
      }
    }
    store.transact(tx -> tx.audit().append(AuditEvent.success("token.create", "a", "t/2")));
    AuditLog.Verification v = store.transact(tx -> tx.audit().verify());
    assertThat(v.ok()).as(v.message()).isTrue();
    assertThat(v.checked()).isEqualTo(2);
  }
}
