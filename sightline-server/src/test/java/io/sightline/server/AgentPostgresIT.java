package io.sightline.server;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.Statement;
import java.util.Base64;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;

/**
 * Every scenario of {@link AgentApiTest} with the server's store on a real PostgreSQL, each test in
 * a database of its own: jobs queued before a server restart are taken after it, a dead agent's job
 * passes to a second agent, AgentIdentity leases, refusals — on PostgreSQL as on H2.
 */
@DisplayName("agents on PostgreSQL")
class AgentPostgresIT extends AgentApiTest {
  private static EmbeddedPostgres pg;
  private static final AtomicInteger databases = new AtomicInteger();

  @BeforeAll
  static void postgres() throws Exception {
    pg = EmbeddedPostgres.builder().start();
  }

  @AfterAll
  static void stopPostgres() throws Exception {
    pg.close();
  }

  @Override
  void configure(Harness h) throws Exception {
    String db = "agents_" + databases.incrementAndGet();
    try (Connection c = pg.getPostgresDatabase().getConnection();
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + db);
    }
    h.flags.put(ServerConfig.DB_URL, "jdbc:postgresql://127.0.0.1:" + pg.getPort() + "/" + db);
    h.flags.put(ServerConfig.DB_USER, "postgres");
    h.env.put("SIGHTLINE_MASTER_KEY", Base64.getEncoder().encodeToString(new byte[32]));
    // An external database never gets a generated admin token: bootstrap one, and leave it where
    // the tests read the embedded store's.
    h.env.put("SIGHTLINE_BOOTSTRAP_TOKEN", PostgresOutageIT.BOOTSTRAP);
    Files.createDirectories(h.dataDir);
    Files.writeString(h.dataDir.resolve("admin.token"), PostgresOutageIT.BOOTSTRAP);
  }
}
