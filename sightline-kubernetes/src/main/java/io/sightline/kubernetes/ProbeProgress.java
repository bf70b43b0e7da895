package io.sightline.kubernetes;

import io.sightline.api.probe.ProbeStep;
import java.util.function.Supplier;

/**
 * Hears a probe's steps as they start and end (the web UI streams them to the browser). Set for the
 * probes the current thread starts with {@link #during}; calls arrive on the probe's worker thread,
 * must be quick and must not throw. A probe that another process runs (an agent) reports only its
 * final answer.
 */
public interface ProbeProgress {

  /** A step began (resolve, connect, tls, version, authenticate, namespaces). */
  void started(ProbeStep.Name name);

  /** A step ended (ok, failed or skipped). */
  void ended(ProbeStep step);

  ProbeProgress NONE =
      new ProbeProgress() {
        @Override
        public void started(ProbeStep.Name name) {}

        @Override
        public void ended(ProbeStep step) {}
      };

  /** Runs {@code work} with {@code progress} hearing every probe this thread starts in it. */
  static <T> T during(ProbeProgress progress, Supplier<T> work) {
    ProbeProgress before = Holder.CURRENT.get();
    Holder.CURRENT.set(progress);
    try {
      return work.get();
    } finally {
      if (before == null) {
        Holder.CURRENT.remove();
      } else {
        Holder.CURRENT.set(before);
      }
    }
  }

  /** What hears the probes this thread starts now ({@link #NONE} outside {@link #during}). */
  static ProbeProgress current() {
    ProbeProgress p = Holder.CURRENT.get();
    return p == null ? NONE : p;
  }

  /** The thread's listener (an interface cannot hold a private field). */
  final class Holder {
    private static final ThreadLocal<ProbeProgress> CURRENT = new ThreadLocal<>();

    private Holder() {}
  }
}
