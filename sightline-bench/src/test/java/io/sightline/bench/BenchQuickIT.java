package io.sightline.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The --quick smoke run: the harness works end to end. It does not judge the figures. */
class BenchQuickIT {
  @TempDir Path tmp;

  @Test
  @DisplayName("--quick runs every figure, prints the table and writes bench.json")
  void quickRunWorks() throws Exception {
    Path jar = Path.of(System.getProperty("sightline.jar")).toAbsolutePath().normalize();
    Path root = jar.getParent().getParent().getParent();
    List<Result> results = Bench.run(new BenchContext(root, jar, true));
    assertThat(results).isNotEmpty();
    assertThat(results).allSatisfy(r -> assertThat(r.value()).isPositive());

    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    Bench.print(results, new PrintStream(buf, true, StandardCharsets.UTF_8));
    assertThat(buf.toString(StandardCharsets.UTF_8))
        .contains("server start to ready")
        .contains("lease throughput, PostgreSQL, 2 replicas");
    // Even a one-second run on two replicas must lose no answered lease and keep the chain whole.
    Result kept =
        results.stream()
            .filter(r -> r.name().startsWith("two replicas lose nothing"))
            .findFirst()
            .orElseThrow();
    assertThat(kept.stats())
        .containsEntry("lost_one_replica", 0)
        .containsEntry("lost_two_replicas", 0)
        .containsEntry("audit_verify_ok", java.util.Map.of("a", true, "b", true));

    Path out = tmp.resolve("bench.json");
    Bench.write(results, out, true);
    JsonNode json = new ObjectMapper().readTree(out.toFile());
    assertThat(json.get("quick").asBoolean()).isTrue();
    assertThat(json.get("figures")).hasSize(results.size());
  }
}
