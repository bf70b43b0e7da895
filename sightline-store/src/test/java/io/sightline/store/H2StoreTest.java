package io.sightline.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sightline.core.SightlineException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store contract on the embedded H2 file database, plus what only H2 does. */
class H2StoreTest extends StoreContract {
  @TempDir Path tmp;
  private int dirs;

  @Override
  protected StoreConfig freshConfig() {
    return StoreConfig.embedded(tmp.resolve("data-" + (++dirs)));
  }

  @Override
  protected List<Path> rawFiles(Store store, StoreConfig config) throws Exception {
    store.close(); // H2 writes everything to its file when the last connection closes
    try (Stream<Path> files = Files.walk(config.dataDir())) {
      return files.filter(Files::isRegularFile).toList();
    }
  }

  @Test
  @DisplayName("the database is one H2 file under <data-dir>/db, named by describe()")
  void embeddedFileLivesInTheDataDir() {
    StoreConfig config = freshConfig();
    Store store = open(config, keyA);
    assertThat(config.h2File()).exists();
    assertThat(store.describe())
        .isEqualTo("embedded H2 at " + config.h2File() + " (single node)")
        .contains(config.dataDir().toAbsolutePath().toString());
    assertThat(store.isExternal()).isFalse();
  }

  @Test
  @DisplayName("the single-node embedded store always holds its leader lock")
  void embeddedStoreIsAlwaysTheLeader() {
    Store store = open(freshConfig(), keyA);
    try (LeaderLock lock = store.leaderLock()) {
      assertThat(lock.tryHold()).isTrue();
      assertThat(lock.describe()).contains("single node");
    }
  }

  @Test
  @DisplayName("while a server has the embedded store open, another process is refused clearly")
  void secondProcessIsRefusedWhileLocked() throws Exception {
    StoreConfig config = freshConfig();
    open(config, keyA);
    Process p =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                OtherProcessOpen.class.getName(),
                config.dataDir().toString(),
                Base64.getEncoder().encodeToString(keyA.bytes()))
            .redirectErrorStream(true)
            .start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(out)
        .contains("FAILED STORE_LOCKED")
        .contains(config.h2File().toString())
        .contains("PostgreSQL");
  }

  @Test
  @DisplayName("a data directory that is a regular file is refused naming it")
  void dataDirThatIsAFileIsRefused() throws Exception {
    Path file = Files.writeString(tmp.resolve("not-a-dir"), "x");
    assertThatThrownBy(() -> open(StoreConfig.embedded(file), keyA))
        .isInstanceOfSatisfying(
            SightlineException.class,
            e -> {
              assertThat(e.code()).isEqualTo("DATA_DIR_NOT_A_DIRECTORY");
              assertThat(e.getMessage()).contains(file.toString());
            });
  }
}
