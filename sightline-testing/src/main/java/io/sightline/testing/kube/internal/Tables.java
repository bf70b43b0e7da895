package io.sightline.testing.kube.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/** Server-side printing: the {@code meta.k8s.io/v1 Table} kubectl asks for in {@code get}. */
final class Tables {

  private Tables() {}

  static ObjectNode table(ResourceType t, List<ObjectNode> objects, String resourceVersion) {
    ObjectNode table = Json.object();
    table.put("kind", "Table");
    table.put("apiVersion", "meta.k8s.io/v1");
    table.putObject("metadata").put("resourceVersion", resourceVersion);
    ArrayNode cols = table.putArray("columnDefinitions");
    column(cols, "Name", "name");
    for (String c : extraColumns(t)) {
      column(cols, c, "");
    }
    column(cols, "Age", "");
    ArrayNode rows = table.putArray("rows");
    for (ObjectNode o : objects) {
      ObjectNode row = rows.addObject();
      ArrayNode cells = row.putArray("cells");
      cells.add(o.path("metadata").path("name").asText());
      extraCells(t, o, cells);
      cells.add(age(o.path("metadata").path("creationTimestamp").asText(null)));
      ObjectNode partial = row.putObject("object");
      partial.put("kind", "PartialObjectMetadata");
      partial.put("apiVersion", "meta.k8s.io/v1");
      partial.set("metadata", o.get("metadata").deepCopy());
    }
    return table;
  }

  private static void column(ArrayNode cols, String name, String format) {
    ObjectNode c = cols.addObject();
    c.put("name", name);
    c.put("type", "string");
    c.put("format", format);
    c.put("description", name);
    c.put("priority", 0);
  }

  private static List<String> extraColumns(ResourceType t) {
    return switch (t.plural()) {
      case "namespaces" -> List.of("Status");
      case "secrets" -> List.of("Type", "Data");
      case "services" -> List.of("Type", "Cluster-IP");
      case "deployments" -> List.of("Ready");
      case "pods" -> List.of("Status");
      default -> List.of();
    };
  }

  private static void extraCells(ResourceType t, JsonNode o, ArrayNode cells) {
    switch (t.plural()) {
      case "namespaces" -> cells.add(o.path("status").path("phase").asText("Active"));
      case "secrets" -> {
        cells.add(o.path("type").asText("Opaque"));
        cells.add(o.path("data").size());
      }
      case "services" -> {
        cells.add(o.path("spec").path("type").asText("ClusterIP"));
        cells.add(o.path("spec").path("clusterIP").asText("<none>"));
      }
      case "deployments" ->
          cells.add(
              o.path("status").path("readyReplicas").asInt(0)
                  + "/"
                  + o.path("spec").path("replicas").asInt(1));
      case "pods" -> cells.add(o.path("status").path("phase").asText("Pending"));
      default -> {}
    }
  }

  /** kubectl's short human duration: 42s, 5m10s, 3h, 2d. */
  static String age(String timestamp) {
    if (timestamp == null) {
      return "<unknown>";
    }
    long s = Math.max(0, Duration.between(Instant.parse(timestamp), Instant.now()).getSeconds());
    if (s < 120) {
      return s + "s";
    }
    long m = s / 60;
    if (m < 10) {
      return s % 60 == 0 ? m + "m" : m + "m" + (s % 60) + "s";
    }
    if (m < 180) {
      return m + "m";
    }
    long h = m / 60;
    if (h < 48) {
      return h + "h";
    }
    return (h / 24) + "d";
  }
}
