package io.sightline.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The run's scratch space: every figure's data directory (servers' H2 files, logs, kubeconfigs)
 * lives under one directory, deleted when the harness's JVM exits. An H2 file after the lease
 * figures is 0.2–1.2 GB; left behind, a day of runs filled /tmp. {@code
 * -Dsightline.bench.keep=true} keeps it (its path is printed) to read the servers' logs after a
 * run.
 */
final class Scratch {
  private static Path root;

  private Scratch() {}

  /** A new directory {@code NAME-…} under this run's scratch directory. */
  static synchronized Path dir(String name) throws IOException {
    if (root == null) {
      root = Files.createTempDirectory("sightline-bench-");
      boolean keep = Boolean.getBoolean("sightline.bench.keep");
      if (keep) {
        System.err.println("bench: scratch directory kept: " + root);
      } else {
        Path doomed = root;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteAfterChildren(doomed)));
      }
    }
    return Files.createTempDirectory(root, name + "-");
  }

  /** Stops this JVM's child processes (they write into the directory), then deletes it. */
  private static void deleteAfterChildren(Path dir) {
    ProcessHandle.current().descendants().forEach(ProcessHandle::destroy);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    ProcessHandle.current()
        .descendants()
        .forEach(
            p -> {
              long left = deadline - System.nanoTime();
              try {
                p.onExit().get(Math.max(0, left), TimeUnit.NANOSECONDS);
              } catch (Exception e) {
                p.destroyForcibly();
              }
            });
    try {
      delete(dir);
    } catch (UncheckedIOException | IOException e) {
      System.err.println("bench: could not delete " + dir + ": " + e.getMessage());
    }
  }

  private static void delete(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    List<Path> deepestFirst;
    try (Stream<Path> all = Files.walk(dir)) {
      deepestFirst = all.sorted(Comparator.reverseOrder()).toList();
    }
    for (Path p : deepestFirst) {
      Files.deleteIfExists(p);
    }
  }
}
