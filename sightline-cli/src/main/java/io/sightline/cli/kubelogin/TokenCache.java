package io.sightline.cli.kubelogin;

import io.sightline.core.SecretValue;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Tokens of exec plugins on disk, shared by every process of the same user: one file per entry
 * (named by a hash of its identity), AES-256-GCM with a key in {@code cache.key} beside them. The
 * directory is 0700, every file 0600; entries are written to a temporary file and renamed into
 * place, so a reader sees the old entry or the new one, never half of one. {@link #locked} holds an
 * exclusive file lock per entry, so that parallel processes fetch a token once.
 *
 * <p>Only JDK classes: this is the warm path of every kubectl call.
 */
public final class TokenCache {
  private static final byte[] MAGIC = "SLC1".getBytes(StandardCharsets.US_ASCII);
  private static final String KEY_FILE = "cache.key";
  private static final String SUFFIX = ".token";
  private static final Set<PosixFilePermission> FILE_MODE =
      PosixFilePermissions.fromString("rw-------");
  private static final Set<PosixFilePermission> DIR_MODE =
      PosixFilePermissions.fromString("rwx------");

  /**
   * A cached token, when it expires, and (for people's sign-ins) the refresh token. The values stay
   * plain strings until asked for as {@link SecretValue}s, so a cache hit does no more work than
   * printing the token ({@link #revealToken()}).
   */
  public static final class Entry {
    private final String token;
    private final Instant expiresAt;
    private final String refreshToken;

    public Entry(SecretValue token, Instant expiresAt, SecretValue refreshToken) {
      this(token.reveal(), expiresAt, refreshToken == null ? null : refreshToken.reveal());
    }

    private Entry(String token, Instant expiresAt, String refreshToken) {
      this.token = token;
      this.expiresAt = expiresAt;
      this.refreshToken = refreshToken;
    }

    public SecretValue token() {
      return SecretValue.of(token);
    }

    /** The token itself, for the ExecCredential. */
    public String revealToken() {
      return token;
    }

    public Instant expiresAt() {
      return expiresAt;
    }

    public SecretValue refreshToken() {
      return refreshToken == null ? null : SecretValue.of(refreshToken);
    }

    /** Whether the token is good for at least {@code margin} more. */
    public boolean freshFor(Duration margin, Instant now) {
      return token != null && expiresAt.isAfter(now.plus(margin));
    }

    @Override
    public String toString() {
      return "Entry[expiresAt=".concat(String.valueOf(expiresAt)).concat("]");
    }
  }

  private final Path dir;

  public TokenCache(Path dir) {
    this.dir = dir.toAbsolutePath();
  }

  public Path dir() {
    return dir;
  }

  /** The entry for {@code key}, or null when there is none (or it cannot be read). */
  public Entry read(String key) {
    byte[] k = readKey();
    if (k == null) {
      return null;
    }
    String name = fileName(key);
    byte[] blob;
    try {
      blob = Files.readAllBytes(dir.resolve(name.concat(SUFFIX)));
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException e) {
      return null;
    }
    if (blob.length < MAGIC.length + 12 + 16) {
      return null;
    }
    for (int i = 0; i < MAGIC.length; i++) {
      if (blob[i] != MAGIC[i]) {
        return null;
      }
    }
    try {
      Cipher c = gcm();
      c.init(
          Cipher.DECRYPT_MODE,
          new SecretKeySpec(k, "AES"),
          new GCMParameterSpec(128, blob, MAGIC.length, 12));
      c.updateAAD(name.getBytes(StandardCharsets.US_ASCII));
      byte[] plain = c.doFinal(blob, MAGIC.length + 12, blob.length - MAGIC.length - 12);
      return decode(new String(plain, StandardCharsets.UTF_8));
    } catch (GeneralSecurityException | RuntimeException e) {
      // another key (the key file was replaced) or a damaged file: a miss, rewritten on fetch
      return null;
    }
  }

  /** Stores {@code entry} for {@code key} atomically. */
  public void write(String key, Entry entry) throws IOException {
    ensureDir();
    byte[] k = readOrCreateKey();
    String name = fileName(key);
    byte[] iv = new byte[12];
    new SecureRandom().nextBytes(iv);
    byte[] sealed;
    try {
      Cipher c = gcm();
      c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(k, "AES"), new GCMParameterSpec(128, iv));
      c.updateAAD(name.getBytes(StandardCharsets.US_ASCII));
      sealed = c.doFinal(encode(entry).getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot encrypt the cache entry: " + e.getMessage(), e);
    }
    ByteBuffer out = ByteBuffer.allocate(MAGIC.length + iv.length + sealed.length);
    out.put(MAGIC).put(iv).put(sealed);
    writeAtomically(dir.resolve(name + SUFFIX), out.array());
  }

  /** Removes the entry for {@code key}, if any. */
  public void remove(String key) throws IOException {
    Files.deleteIfExists(dir.resolve(fileName(key) + SUFFIX));
  }

  /** Removes every entry, lock file and the key; answers how many entries there were. */
  public int clear() throws IOException {
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    int n = 0;
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path p : files) {
        String f = p.getFileName().toString();
        if (f.endsWith(SUFFIX)) {
          n++;
        }
        if (f.endsWith(SUFFIX) || f.endsWith(".lock") || f.endsWith(".tmp") || f.equals(KEY_FILE)) {
          Files.deleteIfExists(p);
        }
      }
    }
    return n;
  }

  /** Work done while holding the entry's exclusive lock. */
  public interface LockedWork<T> {
    T run() throws Exception;
  }

  /**
   * Runs {@code work} holding the exclusive lock of {@code key}'s entry (other processes wait);
   * gives up with a message when the lock is not free within {@code timeout}.
   */
  public <T> T locked(String key, Duration timeout, LockedWork<T> work) throws Exception {
    ensureDir();
    Path lockFile = dir.resolve(fileName(key) + ".lock");
    long deadline = System.nanoTime() + timeout.toNanos();
    try (FileChannel ch =
        FileChannel.open(
            lockFile,
            Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE),
            PosixFilePermissions.asFileAttribute(FILE_MODE))) {
      FileLock lock = null;
      long sleep = 5;
      while (lock == null) {
        lock = ch.tryLock();
        if (lock == null) {
          if (System.nanoTime() > deadline) {
            throw KubeloginException.failed(
                "another process has held the token cache lock "
                    + lockFile
                    + " for longer than "
                    + timeout.toSeconds()
                    + " s: let it finish, or raise --timeout");
          }
          Thread.sleep(sleep);
          sleep = Math.min(sleep * 2, 100);
        }
      }
      try {
        return work.run();
      } finally {
        lock.release();
      }
    }
  }

  /** Fetches a fresh entry on a miss, given the stale one (or null). */
  public interface Fetch {
    Entry fetch(Entry previous) throws Exception;
  }

  /**
   * Refills {@code key}'s entry after a miss: under the entry's lock, looks again (another process
   * may have just fetched) and answers that entry when it is fresh for {@code margin}; otherwise
   * fetches, stores and answers the fresh one. Callers check the cache first, without the lock, so
   * the warm path loads none of this.
   */
  public Entry refill(String key, Duration margin, Duration timeout, Fetch fetch) throws Exception {
    return locked(key, timeout, new Refill(this, key, margin, fetch));
  }

  /** A named class, not a lambda: the kubelogin plugin keeps invokedynamic off its paths. */
  private static final class Refill implements LockedWork<Entry> {
    private final TokenCache cache;
    private final String key;
    private final Duration margin;
    private final Fetch fetch;

    Refill(TokenCache cache, String key, Duration margin, Fetch fetch) {
      this.cache = cache;
      this.key = key;
      this.margin = margin;
      this.fetch = fetch;
    }

    @Override
    public Entry run() throws Exception {
      Entry again = cache.read(key);
      if (again != null && again.freshFor(margin, Instant.now())) {
        return again;
      }
      Entry fresh = fetch.fetch(again);
      cache.write(key, fresh);
      return fresh;
    }
  }

  /** The entry's file name: a hash of its identity (no tenant or user name in a file name). */
  static String fileName(String key) {
    try {
      MessageDigest md;
      try {
        md = MessageDigest.getInstance("SHA-256", "SUN");
      } catch (java.security.NoSuchProviderException e) {
        md = MessageDigest.getInstance("SHA-256");
      }
      byte[] h = md.digest(key.getBytes(StandardCharsets.UTF_8));
      StringBuilder b = new StringBuilder();
      for (int i = 0; i < 16; i++) {
        b.append(Character.forDigit((h[i] >> 4) & 0xf, 16))
            .append(Character.forDigit(h[i] & 0xf, 16));
      }
      return b.toString();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * AES-GCM from the JDK's SunJCE provider, named: asking without a name makes the JCA instantiate
   * every provider before it (EC, JSSE, PKCS#11), which costs a cache hit tens of milliseconds.
   */
  private static Cipher gcm() throws GeneralSecurityException {
    try {
      return Cipher.getInstance("AES/GCM/NoPadding", "SunJCE");
    } catch (java.security.NoSuchProviderException e) {
      return Cipher.getInstance("AES/GCM/NoPadding");
    }
  }

  private static String encode(Entry e) {
    return "v1\n"
        + e.expiresAt.getEpochSecond()
        + "\n"
        + e.token
        + "\n"
        + (e.refreshToken == null ? "" : e.refreshToken)
        + "\n";
  }

  private static Entry decode(String s) {
    String[] lines = s.split("\n", -1);
    if (lines.length < 4 || !lines[0].equals("v1")) {
      return null;
    }
    return new Entry(
        lines[2],
        Instant.ofEpochSecond(Long.parseLong(lines[1])),
        lines[3].isEmpty() ? null : lines[3]);
  }

  private void ensureDir() throws IOException {
    if (!Files.isDirectory(dir)) {
      Files.createDirectories(dir);
    }
    if (!Files.getPosixFilePermissions(dir).equals(DIR_MODE)) {
      Files.setPosixFilePermissions(dir, DIR_MODE);
    }
  }

  private byte[] readKey() {
    try {
      byte[] k = Files.readAllBytes(dir.resolve(KEY_FILE));
      return k.length == 32 ? k : null;
    } catch (IOException e) {
      return null;
    }
  }

  private byte[] readOrCreateKey() throws IOException {
    byte[] k = readKey();
    if (k != null) {
      return k;
    }
    byte[] fresh = new byte[32];
    new SecureRandom().nextBytes(fresh);
    Path tmp =
        Files.createTempFile(dir, ".key-", ".tmp", PosixFilePermissions.asFileAttribute(FILE_MODE));
    try {
      Files.write(tmp, fresh);
      try {
        // a hard link fails when the key exists: exactly one process's key wins, atomically
        Files.createLink(dir.resolve(KEY_FILE), tmp);
      } catch (FileAlreadyExistsException raced) {
        // another process created it first: use theirs
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
    k = readKey();
    if (k == null) {
      throw new IOException(
          dir.resolve(KEY_FILE)
              + " is not a 32-byte key: delete it (sightline kubelogin remove-tokens)");
    }
    return k;
  }

  private void writeAtomically(Path target, byte[] bytes) throws IOException {
    Path tmp =
        Files.createTempFile(
            dir, ".entry-", ".tmp", PosixFilePermissions.asFileAttribute(FILE_MODE));
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) {
          ch.write(b);
        }
        ch.force(true);
      }
      try {
        Files.move(
            tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
