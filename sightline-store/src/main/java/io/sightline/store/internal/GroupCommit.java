package io.sightline.store.internal;

import io.sightline.core.AuditEvent;
import io.sightline.store.AuditLog;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.jdbi.v3.core.Handle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Group commit: concurrent short write transactions share one database transaction and one
 * (durable) commit. Every commit of the embedded store writes a chunk to its file, under one lock
 * for the whole database, so two commits per lease were the server's bottleneck under load.
 *
 * <p>No thread of its own: the first caller to find no group running leads; it takes every work
 * queued at that moment, runs them one after the other in one transaction (each inside its own
 * savepoint, so a failing work is rolled back alone and gets its own exception), commits once, and
 * answers each caller only after that commit. Callers arriving meanwhile queue for the next group,
 * whose leader is the first of them. A work sees the writes of the works before it in its group, as
 * if they had committed just before.
 *
 * <p>Audit appends of a group are written after all its works ran, in order: every other writer
 * takes row locks before the audit chain's head lock, and so must a group, or it could hold the
 * head while waiting for a row that a writer holding that row wants the head for. Inside a group,
 * {@link AuditLog#append} therefore answers null. When a group fails as a whole (its commit, an
 * audit append, a lock timeout), each of its works runs again alone, in its own transaction, and
 * gets its own outcome.
 */
final class GroupCommit {
  private static final Logger log = LoggerFactory.getLogger(GroupCommit.class);

  /** Runs a group's transaction: the callback gets the open handle and its {@link Tx}s. */
  interface Runner {
    void inTransaction(java.util.function.Consumer<Handle> body);

    /** A StoreTx on {@code h} whose audit appends go to {@code audit}. */
    io.sightline.store.StoreTx tx(Handle h, AuditLog audit);

    /** One work alone, in its own transaction (the normal path). */
    <T> T alone(Function<io.sightline.store.StoreTx, T> work);
  }

  private final Runner runner;
  private final int maxGroup;
  private final Object lock = new Object();
  private List<Pending<?>> queue = new ArrayList<>();
  private boolean leading;

  GroupCommit(Runner runner, int maxGroup) {
    this.runner = runner;
    this.maxGroup = maxGroup;
  }

  <T> T run(Function<io.sightline.store.StoreTx, T> work) {
    Pending<T> p = new Pending<>(work);
    synchronized (lock) {
      queue.add(p);
      if (!leading) {
        leading = true;
        p.state = State.LEAD;
      }
    }
    p.awaitTurn();
    if (p.state == State.LEAD) {
      lead();
    }
    return p.result();
  }

  /** Runs one group (including this leader's own work), then hands the lead on. */
  private void lead() {
    List<Pending<?>> group;
    synchronized (lock) {
      if (queue.size() <= maxGroup) {
        group = queue;
        queue = new ArrayList<>();
      } else {
        group = new ArrayList<>(queue.subList(0, maxGroup));
        queue = new ArrayList<>(queue.subList(maxGroup, queue.size()));
      }
    }
    try {
      execute(group);
    } catch (RuntimeException | Error e) {
      // Not a database failure (those fall back to running alone): every caller of the group
      // learns of it, none is answered as if its work had run.
      for (Pending<?> p : group) {
        p.fail(e);
      }
    } finally {
      for (Pending<?> p : group) {
        p.finish();
      }
      synchronized (lock) {
        if (queue.isEmpty()) {
          leading = false;
        } else {
          queue.get(0).promote();
        }
      }
    }
  }

  private void execute(List<Pending<?>> group) {
    if (group.size() == 1) {
      group.get(0).runAlone(runner);
      return;
    }
    try {
      runner.inTransaction(
          h -> {
            int n = 0;
            for (Pending<?> p : group) {
              String savepoint = "sl_group_" + n++;
              h.savepoint(savepoint);
              Deferred audit = new Deferred(runner.tx(h, null).audit());
              try {
                p.apply(runner.tx(h, audit));
                p.audits = audit.events;
                h.releaseSavepoint(savepoint);
              } catch (RuntimeException e) {
                h.rollbackToSavepoint(savepoint);
                p.fail(e);
              }
              // An Error leaves the loop: the whole group rolls back and every caller learns it.
            }
            AuditLog chain = runner.tx(h, null).audit();
            for (Pending<?> p : group) {
              for (AuditEvent e : p.audits) {
                chain.append(e);
              }
            }
          });
    } catch (RuntimeException e) {
      log.debug("group of {} failed as a whole ({}); running each alone", group.size(), e);
      for (Pending<?> p : group) {
        p.runAlone(runner);
      }
    }
  }

  private enum State {
    WAIT,
    LEAD,
    DONE
  }

  private static final class Pending<T> {
    private final Function<io.sightline.store.StoreTx, T> work;
    private State state = State.WAIT;
    private T value;
    private Throwable error;
    private List<AuditEvent> audits = List.of();

    Pending(Function<io.sightline.store.StoreTx, T> work) {
      this.work = work;
    }

    void apply(io.sightline.store.StoreTx tx) {
      value = work.apply(tx);
      error = null;
    }

    void fail(Throwable e) {
      value = null;
      error = e;
      audits = List.of();
    }

    void runAlone(Runner runner) {
      try {
        value = runner.alone(work);
        error = null;
      } catch (RuntimeException e) {
        fail(e);
      }
    }

    synchronized void promote() {
      state = State.LEAD;
      notifyAll();
    }

    synchronized void finish() {
      state = State.DONE;
      notifyAll();
    }

    /** Waits until this work is done or leads; never gives up (a leader must run its group). */
    synchronized void awaitTurn() {
      boolean interrupted = false;
      while (state == State.WAIT) {
        try {
          wait();
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }

    synchronized T result() {
      if (error instanceof RuntimeException e) {
        throw e;
      }
      if (error instanceof Error e) {
        throw e;
      }
      return value;
    }
  }

  /** The audit log of one work in a group: appends are kept, to be written after every work. */
  private static final class Deferred implements AuditLog {
    private final AuditLog reads;
    private final List<AuditEvent> events = new ArrayList<>();

    Deferred(AuditLog reads) {
      this.reads = reads;
    }

    @Override
    public AuditRecord append(AuditEvent event) {
      JdbiAuditLog.validate(event);
      events.add(event);
      return null;
    }

    @Override
    public Page list(Query query) {
      return reads.list(query);
    }

    @Override
    public Verification verify(Optional<Checkpoint> external) {
      return reads.verify(external);
    }

    @Override
    public Checkpoint checkpoint() {
      return reads.checkpoint();
    }

    @Override
    public Optional<Checkpoint> latestCheckpoint() {
      return reads.latestCheckpoint();
    }
  }
}
