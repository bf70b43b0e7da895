package io.sightline.server.internal;

import io.sightline.store.LeaderLock;
import io.sightline.store.Store;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which replica runs the periodic work that must run on one replica at a time (the lease reaper,
 * audit checkpoints). Backed by the store's {@link LeaderLock}: on PostgreSQL an advisory lock that
 * moves to another replica within one {@link #checkEvery check interval} after the holder dies; on
 * the embedded store this process always leads.
 *
 * <p>The periodic tasks ask {@link #isLeader()} at each tick and skip it when another replica
 * leads. Leadership is not the only guard (see {@link LeaderLock}): the work stays correct when two
 * replicas briefly both believe they lead.
 */
public final class Leadership implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Leadership.class);

  /** How often a replica checks or tries the lock: the longest a dead leader's work waits. */
  public static final Duration DEFAULT_CHECK_INTERVAL = Duration.ofSeconds(5);

  private final LeaderLock lock;
  private final Duration checkEvery;
  private final String name;
  private ScheduledExecutorService scheduler;
  private volatile boolean leader;

  /**
   * @param name this replica's name for the log (e.g. the host name)
   */
  public Leadership(Store store, Duration checkEvery, String name) {
    this(store.leaderLock(), checkEvery, name);
  }

  /** Over a given lock (tests). */
  public Leadership(LeaderLock lock, Duration checkEvery, String name) {
    this.lock = lock;
    this.checkEvery = checkEvery;
    this.name = name;
  }

  /** Tries the lock now (so the first reaper pass knows), then every check interval. */
  public synchronized Leadership start() {
    if (scheduler != null) {
      return this;
    }
    check();
    if (lock == LeaderLock.ALWAYS_HELD) {
      return this;
    }
    scheduler =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "sightline-leadership");
              t.setDaemon(true);
              return t;
            });
    long ms = checkEvery.toMillis();
    scheduler.scheduleWithFixedDelay(this::check, ms, ms, TimeUnit.MILLISECONDS);
    return this;
  }

  private void check() {
    boolean now;
    try {
      now = lock.tryHold();
    } catch (RuntimeException e) {
      log.warn("leadership check failed: {}", e.getMessage());
      now = false;
    }
    if (now != leader) {
      leader = now;
      if (now) {
        log.info(
            "leadership acquired by {} ({}): this replica now runs the lease reaper and audit"
                + " checkpoints",
            name,
            lock.describe());
      } else {
        log.info("leadership lost by {}: another replica runs the periodic work", name);
      }
    }
  }

  /** True while this replica holds the leader lock. */
  public boolean isLeader() {
    return leader;
  }

  /** Stops checking and releases the lock, so another replica takes over at its next check. */
  @Override
  public synchronized void close() {
    if (scheduler != null) {
      scheduler.shutdownNow();
      try {
        scheduler.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      scheduler = null;
    }
    if (leader) {
      log.info("leadership released by {} (stopping)", name);
    }
    leader = false;
    lock.close();
  }
}
