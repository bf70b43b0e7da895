package io.sightline.server.internal;

import io.sightline.store.AuditLog;
import io.sightline.store.Store;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes signed checkpoints of the audit chain head outside the database: periodically when the
 * head moved, and at shutdown, as a log line (logger {@code io.sightline.audit.checkpoint}) and,
 * when configured, appended to a file. {@link #latestExternal()} reads the newest one back for
 * {@code audit/verify}.
 */
public final class AuditCheckpoints implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AuditCheckpoints.class);
  private static final Logger checkpointLog =
      LoggerFactory.getLogger("io.sightline.audit.checkpoint");
  private static final long MAX_READ_BYTES = 64 * 1024;

  private final Store store;
  private final Path file;
  private final Duration interval;
  private final java.util.function.BooleanSupplier leader;
  private ScheduledExecutorService scheduler;
  private long lastSeq = -1;

  public AuditCheckpoints(Store store, Path file, Duration interval) {
    this(store, file, interval, () -> true);
  }

  /**
   * @param leader asked at each periodic tick: with several replicas only the leader writes the
   *     periodic checkpoints (see {@link Leadership}); the shutdown checkpoint is always written
   */
  public AuditCheckpoints(
      Store store, Path file, Duration interval, java.util.function.BooleanSupplier leader) {
    this.store = store;
    this.file = file;
    this.interval = interval;
    this.leader = leader;
  }

  public void start() {
    scheduler =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "audit-checkpoints");
              t.setDaemon(true);
              return t;
            });
    long ms = interval.toMillis();
    scheduler.scheduleWithFixedDelay(this::tick, ms, ms, TimeUnit.MILLISECONDS);
  }

  private void tick() {
    if (!leader.getAsBoolean()) {
      return;
    }
    try {
      writeIfMoved();
    } catch (RuntimeException e) {
      log.warn("audit checkpoint skipped: {}", e.getMessage());
    }
  }

  /** Writes a checkpoint when records were appended since the last one; returns it if written. */
  public synchronized Optional<AuditLog.Checkpoint> writeIfMoved() {
    Long head =
        store.transact(
            tx -> {
              List<AuditLog.AuditRecord> newest =
                  tx.audit().list(AuditLog.Query.newest(1)).records();
              return newest.isEmpty() ? null : newest.get(0).seq();
            });
    if (head == null || head == lastSeq) {
      return Optional.empty();
    }
    return Optional.of(write());
  }

  /** Writes a checkpoint of the current head now. */
  public synchronized AuditLog.Checkpoint write() {
    AuditLog.Checkpoint cp = store.transact(tx -> tx.audit().checkpoint());
    lastSeq = cp.seq();
    String line = cp.toLine();
    checkpointLog.info(line);
    if (file != null) {
      try (FileChannel ch =
          FileChannel.open(
              file,
              StandardOpenOption.CREATE,
              StandardOpenOption.APPEND,
              StandardOpenOption.WRITE)) {
        ch.write(java.nio.ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8)));
        ch.force(true);
      } catch (IOException e) {
        log.warn("cannot append the audit checkpoint to {}: {}", file, e.getMessage());
      }
    }
    return cp;
  }

  /** The newest checkpoint in the file, if a file is configured and holds one. */
  public Optional<AuditLog.Checkpoint> latestExternal() {
    if (file == null || !Files.isRegularFile(file)) {
      return Optional.empty();
    }
    try {
      long size = Files.size(file);
      byte[] tail;
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
        long from = Math.max(0, size - MAX_READ_BYTES);
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate((int) (size - from));
        ch.read(buf, from);
        tail = buf.array();
      }
      List<String> lines = new String(tail, StandardCharsets.UTF_8).lines().toList();
      for (int i = lines.size() - 1; i >= 0; i--) {
        if (lines.get(i).contains("sightline-audit-checkpoint/")) {
          try {
            return Optional.of(AuditLog.Checkpoint.parse(lines.get(i)));
          } catch (RuntimeException e) {
            log.warn("skipping an unreadable line in {}: {}", file, e.getMessage());
          }
        }
      }
      return Optional.empty();
    } catch (IOException e) {
      log.warn("cannot read audit checkpoints from {}: {}", file, e.getMessage());
      return Optional.empty();
    }
  }

  /** Stops the schedule and writes a last checkpoint when the head moved. */
  @Override
  public void close() {
    if (scheduler != null) {
      scheduler.shutdownNow();
    }
    try {
      writeIfMoved();
    } catch (RuntimeException e) {
      log.warn("final audit checkpoint skipped: {}", e.getMessage());
    }
  }
}
