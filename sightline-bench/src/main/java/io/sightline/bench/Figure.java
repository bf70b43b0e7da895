package io.sightline.bench;

/** One measured figure of BENCHMARKS.md: it runs, and says how it compares to its target. */
interface Figure {
  String name();

  /** The target as BENCHMARKS.md states it, e.g. "≤ 3000 ms". */
  String target();

  Result run(BenchContext ctx) throws Exception;
}
