package io.sightline.server.internal;

import io.sightline.core.AuditEvent;
import io.sightline.core.SecretValue;
import io.sightline.core.SightlineException;
import io.sightline.store.MasterKey;
import io.sightline.store.MasterKeys;
import io.sightline.store.Store;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Online master-key rotation. For a key file ({@link MasterKeys#rotateKeyFile}): a new key is made
 * durable beside the old one ({@code master.key.next}, fsynced) BEFORE the store re-wraps, then
 * atomically renamed over the key file (and the directory fsynced), so nothing old stays on disk
 * and a crash never leaves the store wrapped by a key that exists nowhere. For {@code
 * SIGHTLINE_MASTER_KEY}: the caller supplies the new key and must update the environment before the
 * next restart.
 */
public final class MasterKeyRotation {
  private static final Logger log = LoggerFactory.getLogger(MasterKeyRotation.class);

  /** What the rotation did, for the API answer. */
  public record Result(String keyId, String source, String message) {}

  private final Store store;
  private final Path keyFile; // null when the key came from the environment
  private MasterKey current;

  public MasterKeyRotation(Store store, MasterKey current, Path keyFile) {
    this.store = store;
    this.current = current;
    this.keyFile = keyFile;
  }

  /** True when the key came from {@code SIGHTLINE_MASTER_KEY} (a new key must be supplied). */
  public boolean fromEnvironment() {
    return keyFile == null;
  }

  public synchronized Result rotate(SecretValue suppliedKey, String actor, String requestId) {
    MasterKey previous = current;
    MasterKey next;
    if (keyFile == null) {
      if (suppliedKey == null) {
        throw SightlineException.badRequest(
            "NEW_KEY_REQUIRED",
            "newKey",
            "the master key comes from SIGHTLINE_MASTER_KEY: send the new key as {\"newKey\":"
                + " \"<base64 of 32 random bytes>\"} (e.g. `openssl rand -base64 32`)");
      }
      try {
        next = MasterKey.fromBase64(suppliedKey.reveal(), MasterKeys.ENV_KEY);
      } catch (IllegalArgumentException e) {
        throw SightlineException.badRequest(
            "INVALID_MASTER_KEY", "newKey", "newKey must be the base64 of 32 random bytes");
      }
      if (next.id().equals(previous.id())) {
        throw SightlineException.badRequest(
            "SAME_MASTER_KEY", "newKey", "newKey is the current master key: generate a new one");
      }
      store.rotateMasterKey(next, event(actor, requestId, previous, next, "environment"));
      current = next;
      log.info("master key rotated from {} to {} (SIGHTLINE_MASTER_KEY)", previous.id(), next.id());
      return new Result(
          next.id(),
          MasterKeys.ENV_KEY,
          "the store is now wrapped by the new key: update SIGHTLINE_MASTER_KEY on every replica"
              + " BEFORE the next restart, or the server will not start");
    }
    if (suppliedKey != null) {
      throw SightlineException.badRequest(
          "NEW_KEY_NOT_ACCEPTED",
          "newKey",
          "the master key comes from the file "
              + keyFile
              + ": the server generates the new key itself; send no newKey");
    }
    next =
        MasterKeys.rotateKeyFile(store, keyFile, k -> event(actor, requestId, previous, k, "file"));
    current = next;
    fsyncDirectory(keyFile.toAbsolutePath().getParent());
    log.info("master key rotated from {} to {} ({})", previous.id(), next.id(), keyFile);
    return new Result(
        next.id(),
        keyFile.toString(),
        "the store is now wrapped by the new key, written to "
            + keyFile
            + "; the old key is gone from disk (replace any backup of the key file)");
  }

  /** The rotation's audit record, appended in the re-wrap's own transaction. */
  private static AuditEvent event(
      String actor, String requestId, MasterKey previous, MasterKey next, String how) {
    return new AuditEvent(
        "master-key.rotate",
        actor,
        "master-key",
        "success",
        requestId,
        Map.of("previousKeyId", previous.id(), "keyId", next.id(), "source", how));
  }

  private static void fsyncDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      // some file systems cannot fsync a directory; the rename is still atomic
    }
  }
}
