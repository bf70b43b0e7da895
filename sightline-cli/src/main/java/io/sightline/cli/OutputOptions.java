package io.sightline.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.function.Function;
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

  /**
   * Prints a listing answer: as it came with {@code --output json}, else {@code table} with one row
   * of {@code row}'s cells per element of the answer's {@code items}.
   */
  public void printList(
      PrintWriter out, JsonNode list, Table table, Function<JsonNode, Object[]> row) {
    if (json()) {
      Json.print(out, list);
      return;
    }
    for (JsonNode item : list.path("items")) {
      table.row(row.apply(item));
    }
    table.print(out);
  }
}
