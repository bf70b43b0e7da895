package io.sightline.store;

/**
 * One lock per database that at most one server process holds at a time: the holder runs the
 * periodic work that must not run on every replica at once (the lease reaper, audit checkpoints).
 * When the holder dies its database session ends and another replica takes the lock on its next
 * {@link #tryHold()}.
 *
 * <p>On PostgreSQL it is a session-level advisory lock on a connection of its own (outside the
 * pool). The embedded H2 store is single-process: its lock is always held.
 *
 * <p>Leadership is an efficiency and ordering measure, never the only guard: work it gates must
 * stay correct if, for a few seconds after a network split, two replicas believe they lead (the
 * reaper claims rows, the audit chain locks its head row).
 */
public interface LeaderLock extends AutoCloseable {

  /** The lock of a single-process store: always held. */
  LeaderLock ALWAYS_HELD =
      new LeaderLock() {
        @Override
        public boolean tryHold() {
          return true;
        }

        @Override
        public String describe() {
          return "single node (embedded store)";
        }

        @Override
        public void close() {}
      };

  /**
   * Takes the lock if it is free, or checks that this process still holds it (its session may have
   * been cut). Never blocks longer than a few seconds; a database that cannot be reached answers
   * false.
   *
   * @return true while this process holds the lock
   */
  boolean tryHold();

  /** How the lock works, for the startup log. */
  String describe();

  /** Releases the lock (if held) and its connection. */
  @Override
  void close();
}
