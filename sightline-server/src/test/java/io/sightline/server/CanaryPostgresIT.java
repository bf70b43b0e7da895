package io.sightline.server;

import io.sightline.store.Stores;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;

/**
 * The canaries on PostgreSQL (a real one, embedded): the cluster's data directory — tables, indexes
 * and write-ahead log — is read raw after the server stopped, so a secret written in clear to any
 * table, even one later overwritten, is found.
 */
class CanaryPostgresIT extends CanaryContract {
  static final String BOOTSTRAP = "slt_" + "C".repeat(22) + "n".repeat(21) + "y";
  EmbeddedPostgres pg;
  Path cluster;

  @Override
  void useStore(Harness h) throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    cluster = tmp.resolve("pg-cluster");
    pg = EmbeddedPostgres.builder().setDataDirectory(cluster).setPort(port).start();
    h.opener = (c, k) -> Stores.open(c, k, h.clock);
    h.flags.put(ServerConfig.DB_URL, "jdbc:postgresql://127.0.0.1:" + port + "/postgres");
    h.flags.put(ServerConfig.DB_USER, "postgres");
    h.env.put("SIGHTLINE_MASTER_KEY", Base64.getEncoder().encodeToString(new byte[32]));
    h.env.put("SIGHTLINE_BOOTSTRAP_TOKEN", BOOTSTRAP);
  }

  @Override
  String adminToken(Harness h) {
    return BOOTSTRAP;
  }

  @Override
  List<Path> storeFiles(Harness h) {
    return List.of(cluster);
  }

  @Override
  void closeStore() throws IOException {
    if (pg != null) {
      pg.close();
    }
  }
}
