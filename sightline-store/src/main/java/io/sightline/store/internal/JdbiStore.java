package io.sightline.store.internal;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.sightline.core.SecretValue;
import io.sightline.core.SightlineException;
import io.sightline.store.ApiTokens;
import io.sightline.store.AuditLog;
import io.sightline.store.Connections;
import io.sightline.store.IssuerKeys;
import io.sightline.store.Leases;
import io.sightline.store.MasterKey;
import io.sightline.store.MasterKeys;
import io.sightline.store.Sealer;
import io.sightline.store.Store;
import io.sightline.store.StoreConfig;
import io.sightline.store.StoreTx;
import io.sightline.store.StoreUnavailableException;
import io.sightline.store.Trust;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.flywaydb.core.Flyway;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.transaction.TransactionIsolationLevel;
import org.jdbi.v3.core.transaction.UnableToManipulateTransactionIsolationLevelException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The JDBI implementation of {@link Store} over H2 (embedded) or PostgreSQL. */
public final class JdbiStore implements Store {
  private static final Logger log = LoggerFactory.getLogger(JdbiStore.class);
  private static final Pattern PG_URL =
      Pattern.compile("jdbc:postgresql://([^/?]*)/?([^?]*).*", Pattern.CASE_INSENSITIVE);
  static final long CONNECTION_TIMEOUT_MS = 2500;

  private final HikariDataSource dataSource;
  private final Jdbi jdbi;
  private final Keyring keyring;
  private final Clock clock;
  private final boolean postgres;
  private final String description;

  private JdbiStore(
      HikariDataSource dataSource, Keyring keyring, Clock clock, boolean postgres, String desc) {
    this.dataSource = dataSource;
    this.jdbi = Jdbi.create(dataSource);
    this.keyring = keyring;
    this.clock = clock;
    this.postgres = postgres;
    this.description = desc;
  }

  public static Store open(StoreConfig config, MasterKey masterKey, Clock clock) {
    boolean postgres = config.isExternal();
    String description = describe(config);
    if (!postgres && Files.isRegularFile(config.h2File())) {
      // Check the key on a read-only connection first: H2 rewrites its file when a read-write
      // connection closes, and a wrong key must leave the data directory byte for byte untouched.
      checkKey(readOnlyMasterKeyId(config), masterKey, config);
    }
    HikariDataSource ds = dataSource(config);
    JdbiStore store = new JdbiStore(ds, new Keyring(masterKey), clock, postgres, description);
    try {
      store.start(config);
      log.info("store: {}", description);
      return store;
    } catch (RuntimeException e) {
      store.close(!Failures.isH2FileLocked(e) && !Failures.isConnectionFailure(e));
      if (e instanceof SightlineException) {
        throw e;
      }
      if (Failures.isH2FileLocked(e)) {
        throw new SightlineException(
            "STORE_LOCKED",
            500,
            null,
            "the embedded database "
                + config.h2File()
                + " is in use by another Sightline process: stop it first (the embedded store is"
                + " single-node; several servers need PostgreSQL, --db-url)",
            null,
            e);
      }
      throw store.translate(e);
    }
  }

  private static void checkKey(Optional<String> stored, MasterKey masterKey, StoreConfig config) {
    if (stored.isPresent() && !stored.get().equals(masterKey.id())) {
      SightlineException mismatch = Keyring.mismatch(masterKey, stored.get());
      Path next = MasterKeys.nextFile(MasterKeys.keyFile(config.dataDir()));
      if (Files.isRegularFile(next)) {
        String nextId;
        try {
          nextId = MasterKey.fromBase64(Files.readString(next), next.toString()).id();
        } catch (IOException | IllegalArgumentException e) {
          nextId = "unreadable";
        }
        throw new SightlineException(
            mismatch.code(),
            mismatch.status(),
            null,
            mismatch.getMessage()
                + ". An interrupted key rotation left "
                + next
                + " (key id "
                + nextId
                + "): if that id is "
                + stored.get()
                + ", move it over "
                + MasterKeys.keyFile(config.dataDir()));
      }
      throw mismatch;
    }
  }

  private static Optional<String> readOnlyMasterKeyId(StoreConfig config) {
    String url = "jdbc:h2:file:" + config.h2Path() + ";ACCESS_MODE_DATA=r;TRACE_LEVEL_FILE=0";
    try (var c = java.sql.DriverManager.getConnection(url, "sightline", "");
        var st = c.createStatement()) {
      Optional<String> id;
      try (var rs = st.executeQuery("SELECT master_key_id FROM keyring WHERE id = 1")) {
        id = rs.next() ? Optional.ofNullable(rs.getString(1)) : Optional.empty();
      } finally {
        // Close the read-only database now: in this JVM a later read-write open of the same file
        // would otherwise share that read-only instance (a restart in-process could not write).
        st.execute("SHUTDOWN");
      }
      return id;
    } catch (java.sql.SQLException e) {
      if (Failures.isMissingTable(e)) {
        return Optional.empty();
      }
      // Locked by another process, or unreadable: let the read-write open report it.
      log.debug("read-only key check skipped: {}", e.toString());
      return Optional.empty();
    }
  }

  private void start(StoreConfig config) {
    // 1. Check the key against the database before anything writes to it.
    Optional<String> stored;
    try {
      stored = jdbi.withHandle(h -> Keyring.storedMasterKeyId(h, false));
    } catch (RuntimeException e) {
      if (!Failures.isMissingTable(e)) {
        throw e;
      }
      stored = Optional.empty();
    }
    checkKey(stored, keyring.current(), config);
    // 2. Migrate, then record the key id (fresh database) and load the audit key.
    Flyway.configure(JdbiStore.class.getClassLoader())
        .dataSource(dataSource)
        .locations("classpath:db/migration/sightline")
        .failOnMissingLocations(true)
        .load()
        .migrate();
    try {
      jdbi.useTransaction(
          TransactionIsolationLevel.READ_COMMITTED, h -> keyring.bootstrap(h, clock.instant()));
    } catch (RuntimeException e) {
      if (!Failures.isUniqueViolation(e)) {
        throw e;
      }
      // Another replica initialised the key ring at the same moment: check against its row.
      jdbi.useTransaction(
          TransactionIsolationLevel.READ_COMMITTED, h -> keyring.bootstrap(h, clock.instant()));
    }
  }

  private static HikariDataSource dataSource(StoreConfig config) {
    HikariConfig hc = new HikariConfig();
    hc.setPoolName("sightline-store");
    hc.setConnectionTimeout(CONNECTION_TIMEOUT_MS);
    hc.setValidationTimeout(1000);
    hc.setInitializationFailTimeout(-1); // the first call reports an unreachable database
    hc.setMinimumIdle(1);
    hc.setAutoCommit(true);
    if (config.isExternal()) {
      hc.setJdbcUrl(config.jdbcUrl());
      hc.setDriverClassName("org.postgresql.Driver");
      if (config.user() != null) {
        hc.setUsername(config.user());
      }
      if (config.password() != null) {
        hc.setPassword(config.password().reveal());
      }
      hc.setMaximumPoolSize(config.maxPoolSize() > 0 ? config.maxPoolSize() : 10);
      hc.addDataSourceProperty("connectTimeout", "3");
      hc.addDataSourceProperty("socketTimeout", "60");
      hc.addDataSourceProperty("tcpKeepAlive", "true");
      hc.addDataSourceProperty("ApplicationName", "sightline");
    } else {
      Path dataDir = config.dataDir().toAbsolutePath().normalize();
      if (Files.exists(dataDir) && !Files.isDirectory(dataDir)) {
        throw new SightlineException(
            "DATA_DIR_NOT_A_DIRECTORY",
            500,
            "data-dir",
            "the data directory "
                + dataDir
                + " exists but is not a directory: choose another"
                + " --data-dir or remove that file");
      }
      try {
        Files.createDirectories(config.h2Path().getParent());
      } catch (IOException e) {
        throw new SightlineException(
            "DATA_DIR_UNWRITABLE",
            500,
            "data-dir",
            "cannot create " + config.h2Path().getParent() + ": " + e.getMessage());
      }
      hc.setJdbcUrl(
          // Open (and file-locked) until close() shuts it down; lock waits of up to 10 s.
          // WRITE_DELAY=0: a commit is on disk when it returns. H2's default (500 ms) lost
          // committed leases and their audit records on kill -9 (LeaseCrashIT).
          // QUERY_CACHE_SIZE: each session keeps this many parsed statements. H2's default (8) is
          // fewer than lease issuance alone runs in turn, so every statement was parsed and
          // planned again — a fifth of the server's CPU per lease.
          // CACHE_SIZE (KiB): H2 scales its page cache with the heap (16 MiB at 256 MiB). Every
          // commit rewrites pages (MVStore is copy-on-write), so cached pages churn, outlive
          // young collections and fill the old generation with garbage: full collections of
          // hundreds of ms under lease load. The live data of a node is a few MiB.
          "jdbc:h2:file:"
              + config.h2Path()
              + ";DB_CLOSE_DELAY=-1;DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0;LOCK_TIMEOUT=10000"
              + ";QUERY_CACHE_SIZE=256;CACHE_SIZE=4096");
      hc.setDriverClassName("org.h2.Driver");
      hc.setUsername("sightline");
      hc.setPassword("");
      // Embedded sessions are cheap; with 4, concurrent lease requests queued for a connection
      // while a group commit held one.
      hc.setMaximumPoolSize(config.maxPoolSize() > 0 ? config.maxPoolSize() : 8);
    }
    return new HikariDataSource(hc);
  }

  static String describe(StoreConfig config) {
    if (!config.isExternal()) {
      return "embedded H2 at " + config.h2File() + " (single node)";
    }
    Matcher m = PG_URL.matcher(config.jdbcUrl());
    if (m.matches()) {
      return "PostgreSQL " + m.group(1) + "/" + m.group(2);
    }
    return "PostgreSQL";
  }

  @Override
  public String describe() {
    return description;
  }

  @Override
  public boolean isExternal() {
    return postgres;
  }

  @Override
  public void ping() {
    boolean ready =
        transact(
            tx ->
                ((Tx) tx)
                        .handle
                        .createQuery("SELECT COUNT(*) FROM keyring WHERE id = 1")
                        .mapTo(Integer.class)
                        .one()
                    == 1);
    if (!ready) {
      throw new StoreUnavailableException("the store is not initialised yet", null);
    }
  }

  @Override
  public <T> T transact(Function<StoreTx, T> work) {
    for (int attempt = 1; ; attempt++) {
      try {
        return jdbi.inTransaction(
            TransactionIsolationLevel.READ_COMMITTED, h -> work.apply(new Tx(h)));
      } catch (UnableToManipulateTransactionIsolationLevelException e) {
        // The pool handed out a connection the database closed (e.g. it restarted). This fails
        // before any work ran, and the pool has evicted it: safe to try again with another.
        if (attempt > dataSource.getMaximumPoolSize() || !Failures.isConnectionFailure(e)) {
          throw translate(e);
        }
        log.debug("stale database connection evicted; retrying", e);
      } catch (RuntimeException e) {
        throw translate(e);
      }
    }
  }

  @Override
  public Sealer sealer() {
    return new Sealer() {
      @Override
      public byte[] seal(SecretValue value, String context) {
        return transact(tx -> tx.sealer().seal(value, context));
      }

      @Override
      public SecretValue open(byte[] sealed, String context) {
        // A data key this replica made or opened before needs no transaction.
        return JdbiSealer.openWithKnownKey(keyring, sealed, context)
            .orElseGet(() -> transact(tx -> tx.sealer().open(sealed, context)));
      }
    };
  }

  @Override
  public void rotateMasterKey(MasterKey newKey, io.sightline.core.AuditEvent audit) {
    Keyring.RotationResult result =
        transact(
            tx -> {
              Keyring.RotationResult r = keyring.rotate(((Tx) tx).handle, newKey, clock.instant());
              if (audit != null) {
                tx.audit().append(audit);
              }
              return r;
            });
    keyring.switchTo(newKey);
    log.info(
        "rotated the master key to id {}: re-wrapped {} data keys and {} audit keys",
        newKey.id(),
        result.dataKeys(),
        result.auditKeys());
  }

  @Override
  public io.sightline.store.LeaderLock leaderLock() {
    if (!postgres) {
      return io.sightline.store.LeaderLock.ALWAYS_HELD;
    }
    return new PgLeaderLock(
        dataSource.getJdbcUrl(), dataSource.getUsername(), dataSource.getPassword());
  }

  @Override
  public void close() {
    close(true);
  }

  private void close(boolean shutdownH2) {
    if (shutdownH2 && !postgres && !dataSource.isClosed()) {
      // Flush and release the H2 file now (it is kept open while the pool lives).
      try (var c = dataSource.getConnection();
          var st = c.createStatement()) {
        st.execute("SHUTDOWN");
      } catch (java.sql.SQLException | RuntimeException e) {
        log.debug("H2 shutdown skipped: {}", e.toString());
      }
    }
    dataSource.close();
  }

  /** For tests and tools inside the store module: the raw database. */
  public Jdbi jdbi() {
    return jdbi;
  }

  private RuntimeException translate(RuntimeException e) {
    if (e instanceof SightlineException) {
      return e;
    }
    if (Failures.isConnectionFailure(e)) {
      return new StoreUnavailableException(
          "the database (" + description + ") cannot be reached; retry in a few seconds", e);
    }
    return e;
  }

  @Override
  public <T> T transactGrouped(Function<StoreTx, T> work) {
    return group.run(work);
  }

  private final GroupCommit group =
      new GroupCommit(
          new GroupCommit.Runner() {
            @Override
            public void inTransaction(java.util.function.Consumer<Handle> body) {
              transact(
                  tx -> {
                    body.accept(((Tx) tx).handle);
                    return null;
                  });
            }

            @Override
            public StoreTx tx(Handle h, AuditLog audit) {
              return new Tx(h, audit);
            }

            @Override
            public <T> T alone(Function<StoreTx, T> work) {
              return transact(work);
            }
          },
          64);

  private final class Tx implements StoreTx {
    final Handle handle;
    private final AuditLog audit;

    Tx(Handle handle) {
      this(handle, null);
    }

    Tx(Handle handle, AuditLog audit) {
      this.handle = handle;
      this.audit = audit;
    }

    @Override
    public ApiTokens tokens() {
      return new JdbiApiTokens(handle, clock, postgres);
    }

    @Override
    public AuditLog audit() {
      return audit != null ? audit : new JdbiAuditLog(handle, keyring, clock);
    }

    @Override
    public Sealer sealer() {
      return new JdbiSealer(handle, keyring, clock);
    }

    @Override
    public Connections connections() {
      return new JdbiConnections(handle, sealer(), clock);
    }

    @Override
    public Leases leases() {
      return new JdbiLeases(handle, sealer(), clock);
    }

    @Override
    public Trust trust() {
      return new JdbiTrust(handle, clock);
    }

    @Override
    public io.sightline.store.Environments environments() {
      return new JdbiEnvironments(handle, clock);
    }

    @Override
    public IssuerKeys issuerKeys() {
      return new JdbiIssuerKeys(handle, sealer(), clock);
    }

    @Override
    public io.sightline.store.WebSessions webSessions() {
      return new JdbiWebSessions(handle, clock);
    }

    @Override
    public io.sightline.store.Agents agents() {
      return new JdbiAgents(handle, clock);
    }
  }
}
