package io.sightline.cli.kubelogin;

import static org.assertj.core.api.Assertions.assertThat;

import io.sightline.core.SecretValue;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenCacheTest {
  @TempDir Path dir;

  @Test
  @DisplayName("an entry round-trips, encrypted, in a 0700 directory with 0600 files")
  void roundTrip() throws Exception {
    Path d = dir.resolve("cache");
    TokenCache cache = new TokenCache(d);
    Instant exp = Instant.parse("2030-01-01T00:00:00Z");
    cache.write(
        "k", new TokenCache.Entry(SecretValue.of("token-abc"), exp, SecretValue.of("refresh-xyz")));
    TokenCache.Entry e = cache.read("k");
    assertThat(e.token().reveal()).isEqualTo("token-abc");
    assertThat(e.refreshToken().reveal()).isEqualTo("refresh-xyz");
    assertThat(e.expiresAt()).isEqualTo(exp);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(d)))
        .isEqualTo("rwx------");
    List<Path> files;
    try (Stream<Path> s = Files.list(d)) {
      files = s.toList();
    }
    assertThat(files).hasSize(2); // the entry and cache.key
    for (Path f : files) {
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f)))
          .isEqualTo("rw-------");
      String raw = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
      assertThat(raw).doesNotContain("token-abc").doesNotContain("refresh-xyz");
    }
    assertThat(e.toString()).doesNotContain("token-abc");
  }

  @Test
  @DisplayName("a damaged entry, a replaced key or another key's file is a miss, not an error")
  void damagedIsAMiss() throws Exception {
    TokenCache cache = new TokenCache(dir);
    cache.write(
        "a", new TokenCache.Entry(SecretValue.of("t"), Instant.now().plusSeconds(600), null));
    Path entry = dir.resolve(TokenCache.fileName("a") + ".token");
    byte[] b = Files.readAllBytes(entry);
    b[b.length - 1] ^= 1;
    Files.write(entry, b);
    assertThat(cache.read("a")).isNull();
    // an entry copied under another key's name does not decrypt (the name is authenticated)
    cache.write(
        "b", new TokenCache.Entry(SecretValue.of("t"), Instant.now().plusSeconds(600), null));
    Files.copy(
        dir.resolve(TokenCache.fileName("b") + ".token"),
        entry,
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    assertThat(cache.read("a")).isNull();
    assertThat(cache.read("missing")).isNull();
  }

  @Test
  @DisplayName("freshness: a token with less than the margin left is stale")
  void freshness() {
    Instant now = Instant.now();
    TokenCache.Entry e = new TokenCache.Entry(SecretValue.of("t"), now.plusSeconds(299), null);
    assertThat(e.freshFor(Duration.ofMinutes(5), now)).isFalse();
    assertThat(e.freshFor(Duration.ofMinutes(1), now)).isTrue();
  }

  @Test
  @DisplayName("remove-tokens clears entries, locks and the key, and counts the entries")
  void clear() throws Exception {
    TokenCache cache = new TokenCache(dir);
    cache.write(
        "a", new TokenCache.Entry(SecretValue.of("t"), Instant.now().plusSeconds(600), null));
    cache.locked("a", Duration.ofSeconds(5), () -> 1);
    assertThat(cache.clear()).isEqualTo(1);
    try (Stream<Path> s = Files.list(dir)) {
      assertThat(s.toList()).isEmpty();
    }
  }

  @Test
  @DisplayName("a held lock makes another taker give up after its timeout, with a message")
  void lockTimeout() throws Exception {
    TokenCache cache = new TokenCache(dir);
    java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    // another process holds the lock (a child JVM is overkill: a plain FileChannel lock suffices)
    Path lockFile = dir.resolve(TokenCache.fileName("k") + ".lock");
    Thread t =
        new Thread(
            () -> {
              try (var ch =
                      java.nio.channels.FileChannel.open(
                          lockFile,
                          java.nio.file.StandardOpenOption.CREATE,
                          java.nio.file.StandardOpenOption.WRITE);
                  var lock = ch.lock()) {
                held.countDown();
                release.await();
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    t.start();
    held.await();
    try {
      org.assertj.core.api.Assertions.assertThatThrownBy(
              () -> cache.locked("k", Duration.ofMillis(300), () -> 1))
          .satisfiesAnyOf(
              ex -> assertThat(ex).hasMessageContaining("raise --timeout"),
              ex ->
                  assertThat(ex)
                      .isInstanceOf(java.nio.channels.OverlappingFileLockException.class));
    } finally {
      release.countDown();
      t.join();
    }
  }
}
