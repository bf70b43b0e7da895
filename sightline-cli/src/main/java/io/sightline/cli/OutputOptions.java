package io.sightline.cli;

import picocli.CommandLine.Option;

/** {@code --output table|json} on every listing. */
public final class OutputOptions {
  public enum Format {
    table,
    json
  }

  @Option(
      names = {"-o", "--output"},
      paramLabel = "FORMAT",
      defaultValue = "table",
      description = "Output format: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
  public Format format = Format.table;

  public boolean json() {
    return format == Format.json;
  }
}
