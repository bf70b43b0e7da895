package io.sightline.bench;

import java.nio.file.Path;

/** What figures share: where the repository and the built jar are, and whether this is --quick. */
record BenchContext(Path root, Path jar, boolean quick) {
  Path launcher() {
    return root.resolve("sightline");
  }

  int repetitions(int full) {
    return quick ? 1 : full;
  }
}
