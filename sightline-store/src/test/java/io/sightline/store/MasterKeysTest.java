package io.sightline.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sightline.core.SecretValue;
import io.sightline.core.SightlineException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MasterKeysTest {
  @TempDir Path tmp;

  private static String base64(byte fill) {
    byte[] b = new byte[32];
    java.util.Arrays.fill(b, fill);
    return Base64.getEncoder().encodeToString(b);
  }

  @Test
  @DisplayName("SIGHTLINE_MASTER_KEY wins and is named as the source")
  void environmentKeyWins() throws Exception {
    Path keyFile = tmp.resolve("key.b64");
    Files.writeString(keyFile, base64((byte) 2));
    MasterKey key =
        MasterKeys.resolve(
            StoreConfig.embedded(tmp.resolve("data")),
            Map.of(
                "SIGHTLINE_MASTER_KEY",
                base64((byte) 1),
                "SIGHTLINE_MASTER_KEY_FILE",
                keyFile.toString()));
    assertThat(key.source()).isEqualTo("SIGHTLINE_MASTER_KEY");
    assertThat(key.bytes()).containsOnly((byte) 1);
    assertThat(tmp.resolve("data").resolve("master.key")).doesNotExist();
  }

  @Test
  @DisplayName("SIGHTLINE_MASTER_KEY_FILE is read, and a missing one is named")
  void keyFileFromEnvironment() throws Exception {
    Path keyFile = tmp.resolve("mounted.key");
    Files.writeString(keyFile, base64((byte) 3) + "\n");
    MasterKey key =
        MasterKeys.resolve(
            StoreConfig.postgres(tmp, "jdbc:postgresql://127.0.0.1:1/x", "u", null),
            Map.of("SIGHTLINE_MASTER_KEY_FILE", keyFile.toString()));
    assertThat(key.bytes()).containsOnly((byte) 3);
    assertThat(key.source()).contains(keyFile.toString());

    Path absent = tmp.resolve("absent.key");
    assertThatThrownBy(
            () ->
                MasterKeys.resolve(
                    StoreConfig.embedded(tmp.resolve("d")),
                    Map.of("SIGHTLINE_MASTER_KEY_FILE", absent.toString())))
        .isInstanceOfSatisfying(
            SightlineException.class,
            e -> {
              assertThat(e.code()).isEqualTo("MASTER_KEY_MISSING");
              assertThat(e.getMessage()).contains(absent.toString());
            });
  }

  @Test
  @DisplayName("the embedded first start creates <data-dir>/master.key with mode 0600, once")
  void embeddedFirstStartCreatesTheKeyFile() throws Exception {
    StoreConfig config = StoreConfig.embedded(tmp.resolve("data"));
    MasterKey created = MasterKeys.resolve(config, Map.of());
    Path file = tmp.resolve("data").resolve("master.key");
    assertThat(file).exists();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");
    assertThat(Base64.getDecoder().decode(Files.readString(file).strip())).hasSize(32);
    assertThat(created.source()).isEqualTo(file.toString());
    try (var leftovers = Files.list(file.getParent())) {
      assertThat(leftovers).containsExactly(file);
    }

    MasterKey again = MasterKeys.resolve(config, Map.of());
    assertThat(again.id()).isEqualTo(created.id());
  }

  @Test
  @DisplayName("with an external database a missing key is an error saying how to supply it")
  void externalDatabaseNeverGeneratesAKey() {
    StoreConfig config =
        StoreConfig.postgres(tmp.resolve("data"), "jdbc:postgresql://127.0.0.1:1/x", "u", null);
    assertThatThrownBy(() -> MasterKeys.resolve(config, Map.of()))
        .isInstanceOfSatisfying(
            SightlineException.class,
            e -> {
              assertThat(e.code()).isEqualTo("MASTER_KEY_MISSING");
              assertThat(e.getMessage())
                  .contains("SIGHTLINE_MASTER_KEY")
                  .contains("SIGHTLINE_MASTER_KEY_FILE")
                  .contains("openssl rand -base64 32");
            });
    assertThat(tmp.resolve("data").resolve("master.key")).doesNotExist();
  }

  @Test
  @DisplayName("an existing embedded database whose key file is gone is not given a new key")
  void existingDatabaseWithoutKeyFileIsAnError() throws Exception {
    StoreConfig config = StoreConfig.embedded(tmp.resolve("data"));
    MasterKey key = MasterKeys.resolve(config, Map.of());
    Stores.open(config, key).close();
    Files.delete(tmp.resolve("data").resolve("master.key"));

    assertThatThrownBy(() -> MasterKeys.resolve(config, Map.of()))
        .isInstanceOfSatisfying(
            SightlineException.class,
            e -> {
              assertThat(e.code()).isEqualTo("MASTER_KEY_MISSING");
              assertThat(e.getMessage())
                  .contains(config.h2File().toString())
                  .contains("master.key")
                  .contains("restore");
            });
    assertThat(tmp.resolve("data").resolve("master.key")).doesNotExist();
  }

  @Test
  @DisplayName("a key that is not base64 of 32 bytes is refused without echoing it")
  void invalidKeysAreRefused() {
    for (String bad :
        new String[] {"not base64 !!", Base64.getEncoder().encodeToString(new byte[16])}) {
      assertThatThrownBy(
              () ->
                  MasterKeys.resolve(
                      StoreConfig.embedded(tmp), Map.of("SIGHTLINE_MASTER_KEY", bad)))
          .isInstanceOfSatisfying(
              SightlineException.class,
              e -> {
                assertThat(e.code()).isEqualTo("MASTER_KEY_INVALID");
                assertThat(e.getMessage()).contains("SIGHTLINE_MASTER_KEY").doesNotContain(bad);
              });
    }
  }

  @Test
  @DisplayName("rotating the key file re-wraps the store and replaces master.key atomically")
  void rotateKeyFile() throws Exception {
    StoreConfig config = StoreConfig.embedded(tmp.resolve("data"));
    MasterKey first = MasterKeys.resolve(config, Map.of());
    SecretValue secret = SecretValue.of("rotate-file-secret");
    byte[] sealed;
    MasterKey rotated;
    try (Store store = Stores.open(config, first)) {
      sealed = store.sealer().seal(secret);
      rotated = MasterKeys.rotateKeyFile(store, MasterKeys.keyFile(config.dataDir()));
    }
    assertThat(rotated.id()).isNotEqualTo(first.id());
    assertThat(MasterKeys.nextFile(MasterKeys.keyFile(config.dataDir()))).doesNotExist();
    assertThat(
            PosixFilePermissions.toString(
                Files.getPosixFilePermissions(MasterKeys.keyFile(config.dataDir()))))
        .isEqualTo("rw-------");
    MasterKey fromFile = MasterKeys.resolve(config, Map.of());
    assertThat(fromFile.id()).isEqualTo(rotated.id());
    try (Store store = Stores.open(config, fromFile)) {
      assertThat(store.sealer().open(sealed)).isEqualTo(secret);
    }
  }

  @Test
  @DisplayName("an interrupted rotation is named when the old key no longer opens the store")
  void interruptedRotationIsNamed() throws Exception {
    StoreConfig config = StoreConfig.embedded(tmp.resolve("data"));
    MasterKey first = MasterKeys.resolve(config, Map.of());
    MasterKey next = MasterKeys.generate("next");
    try (Store store = Stores.open(config, first)) {
      MasterKeys.writeKeyFile(MasterKeys.nextFile(MasterKeys.keyFile(config.dataDir())), next);
      store.rotateMasterKey(next); // then the process "dies" before moving the file
    }
    assertThatThrownBy(() -> Stores.open(config, MasterKeys.resolve(config, Map.of())))
        .isInstanceOfSatisfying(
            SightlineException.class,
            e ->
                assertThat(e.getMessage())
                    .contains("master.key.next")
                    .contains("key id " + next.id()));
  }
}
