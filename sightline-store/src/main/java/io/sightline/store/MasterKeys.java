package io.sightline.store;

import io.sightline.core.SightlineException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the master key: {@code SIGHTLINE_MASTER_KEY} (base64 of 32 bytes), else the file named by
 * {@code SIGHTLINE_MASTER_KEY_FILE}, else {@code <data-dir>/master.key}. Only the embedded default
 * on its first start (no database file yet) creates {@code <data-dir>/master.key} (mode 0600,
 * atomically); with an external database, or an existing embedded database, a missing key is an
 * error that says how to supply it.
 *
 * <p>Errors are {@link SightlineException}s with code {@code MASTER_KEY_MISSING} or {@code
 * MASTER_KEY_INVALID}; their messages never contain key material.
 */
public final class MasterKeys {
  public static final String ENV_KEY = "SIGHTLINE_MASTER_KEY";
  public static final String ENV_KEY_FILE = "SIGHTLINE_MASTER_KEY_FILE";
  public static final String KEY_FILE_NAME = "master.key";

  private static final Logger log = LoggerFactory.getLogger(MasterKeys.class);
  private static final SecureRandom RANDOM = new SecureRandom();

  private MasterKeys() {}

  /** Resolves from the process environment. */
  public static MasterKey resolve(StoreConfig config) {
    return resolve(config, System.getenv());
  }

  /** Resolves from {@code env} (injectable for tests). */
  public static MasterKey resolve(StoreConfig config, Map<String, String> env) {
    String inline = env.get(ENV_KEY);
    if (inline != null && !inline.isBlank()) {
      if (env.get(ENV_KEY_FILE) != null && !env.get(ENV_KEY_FILE).isBlank()) {
        log.warn("both {} and {} are set; using {}", ENV_KEY, ENV_KEY_FILE, ENV_KEY);
      }
      return decode(inline, ENV_KEY);
    }
    String named = env.get(ENV_KEY_FILE);
    if (named != null && !named.isBlank()) {
      Path file = Path.of(named.strip()).toAbsolutePath().normalize();
      if (!Files.isRegularFile(file)) {
        throw missing(
            ENV_KEY_FILE
                + " names "
                + file
                + ", which is not a readable file: mount the master key there, or unset "
                + ENV_KEY_FILE);
      }
      return read(file, ENV_KEY_FILE + "=" + file);
    }
    Path defaultFile = keyFile(config.dataDir());
    if (Files.exists(defaultFile)) {
      return read(defaultFile, defaultFile.toString());
    }
    if (config.isExternal()) {
      throw missing(
          "no master key: with an external database (--db-url) Sightline never generates one. Set "
              + ENV_KEY
              + " to the base64 of 32 random bytes (e.g. `openssl rand -base64 32`), or "
              + ENV_KEY_FILE
              + " to a mounted file holding it, or put it in "
              + defaultFile
              + " — the same key on every replica");
    }
    if (Files.exists(config.h2File())) {
      throw missing(
          "the database "
              + config.h2File()
              + " exists but its master key file "
              + defaultFile
              + " is missing: restore master.key from your backup, or set "
              + ENV_KEY
              + " to the key. A new key would not open the stored secrets");
    }
    return create(defaultFile);
  }

  /** 32 fresh random bytes. */
  public static MasterKey generate(String source) {
    byte[] key = new byte[MasterKey.LENGTH];
    RANDOM.nextBytes(key);
    return MasterKey.of(key, source);
  }

  /** The default key file of a data directory: {@code <dataDir>/master.key}. */
  public static Path keyFile(Path dataDir) {
    return dataDir.toAbsolutePath().normalize().resolve(KEY_FILE_NAME);
  }

  /**
   * Writes {@code key} as base64 to {@code file} with mode 0600, atomically replacing what is there
   * (write a temporary file, fsync, rename).
   */
  public static void writeKeyFile(Path file, MasterKey key) {
    Path tmp = writeTemp(file, key);
    try {
      Files.move(
          tmp,
          file,
          java.nio.file.StandardCopyOption.ATOMIC_MOVE,
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      deleteQuietly(tmp);
      throw new SightlineException(
          "MASTER_KEY_WRITE_FAILED", 500, null, "cannot write " + file + ": " + e.getMessage());
    }
  }

  /**
   * Rotates the master key of {@code store} when the key lives in {@code file} (the embedded
   * default {@code <data-dir>/master.key}, or a writable {@code SIGHTLINE_MASTER_KEY_FILE}): writes
   * a fresh key to {@code <file>.next} (0600, synced), re-wraps the store under it, then moves it
   * over {@code file}. If the process dies in between, both files exist and one of them opens the
   * store; opening with the wrong one names the {@code .next} file in its message.
   *
   * @return the new key (its {@link MasterKey#id()} is safe to show)
   */
  public static MasterKey rotateKeyFile(Store store, Path file) {
    return rotateKeyFile(store, file, k -> null);
  }

  /**
   * As {@link #rotateKeyFile(Store, Path)}, with the audit record for the new key written in the
   * re-wrap's transaction.
   */
  public static MasterKey rotateKeyFile(
      Store store,
      Path file,
      java.util.function.Function<MasterKey, io.sightline.core.AuditEvent> audit) {
    Path target = file.toAbsolutePath().normalize();
    Path next = nextFile(target);
    MasterKey fresh = generate(target.toString());
    writeKeyFile(next, fresh);
    store.rotateMasterKey(fresh, audit.apply(fresh));
    try {
      Files.move(
          next,
          target,
          java.nio.file.StandardCopyOption.ATOMIC_MOVE,
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new SightlineException(
          "MASTER_KEY_WRITE_FAILED",
          500,
          null,
          "the store now uses the master key in "
              + next
              + " (id "
              + fresh.id()
              + ") but it could not be moved over "
              + target
              + ": move it by hand before the next start ("
              + e.getMessage()
              + ")");
    }
    log.info("rotated the master key: {} now holds key id {}", target, fresh.id());
    return fresh;
  }

  /** Where {@link #rotateKeyFile} puts the next key while a rotation runs. */
  public static Path nextFile(Path keyFile) {
    return keyFile.resolveSibling(keyFile.getFileName() + ".next");
  }

  private static MasterKey create(Path file) {
    MasterKey key = generate(file.toString());
    Path tmp = writeTemp(file, key);
    try {
      // A hard link never replaces: if another process created the file first, its key wins.
      Files.createLink(file, tmp);
      log.info("created master key file {} (mode 0600): back it up", file);
      return key;
    } catch (FileAlreadyExistsException e) {
      return read(file, file.toString());
    } catch (IOException | UnsupportedOperationException e) {
      try {
        Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        log.info("created master key file {} (mode 0600): back it up", file);
        return key;
      } catch (IOException e2) {
        throw new SightlineException(
            "MASTER_KEY_WRITE_FAILED", 500, null, "cannot create " + file + ": " + e2.getMessage());
      }
    } finally {
      deleteQuietly(tmp);
    }
  }

  private static Path writeTemp(Path file, MasterKey key) {
    Path dir = file.toAbsolutePath().getParent();
    try {
      Files.createDirectories(dir);
      Path tmp =
          dir.resolve(
              "." + file.getFileName() + "." + Long.toHexString(RANDOM.nextLong()) + ".tmp");
      Set<PosixFilePermission> owner = PosixFilePermissions.fromString("rw-------");
      try {
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(owner));
      } catch (UnsupportedOperationException e) {
        Files.createFile(tmp);
      }
      byte[] text =
          (Base64.getEncoder().encodeToString(key.bytes()) + "\n").getBytes(StandardCharsets.UTF_8);
      try (var ch = java.nio.channels.FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        ch.write(java.nio.ByteBuffer.wrap(text));
        ch.force(true);
      }
      return tmp;
    } catch (IOException e) {
      throw new SightlineException(
          "MASTER_KEY_WRITE_FAILED", 500, null, "cannot write in " + dir + ": " + e.getMessage());
    }
  }

  private static MasterKey read(Path file, String source) {
    try {
      warnIfOpen(file);
      return decode(Files.readString(file, StandardCharsets.UTF_8), source);
    } catch (IOException e) {
      throw missing("cannot read the master key from " + source + ": " + e.getMessage());
    }
  }

  private static MasterKey decode(String text, String source) {
    try {
      return MasterKey.fromBase64(text, source);
    } catch (IllegalArgumentException e) {
      throw new SightlineException("MASTER_KEY_INVALID", 500, null, e.getMessage());
    }
  }

  private static void warnIfOpen(Path file) {
    try {
      Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
      if (perms.contains(PosixFilePermission.GROUP_READ)
          || perms.contains(PosixFilePermission.OTHERS_READ)) {
        log.warn("master key file {} is readable by others: chmod 600 it", file);
      }
    } catch (IOException | UnsupportedOperationException e) {
      // not a POSIX file system: nothing to check
    }
  }

  private static SightlineException missing(String detail) {
    return new SightlineException("MASTER_KEY_MISSING", 500, null, detail);
  }

  private static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException e) {
      // best effort
    }
  }
}
