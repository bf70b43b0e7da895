package io.sightline.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;

/** Human rendering of a probe answer: timed steps, identity, version, diagnosis and its hint. */
public final class ProbeOutput {
  private ProbeOutput() {}

  public static void print(PrintWriter w, JsonNode probe) {
    for (JsonNode step : probe.path("steps")) {
      String status = step.path("status").asText();
      w.printf(
          "  %-13s %-7s %6d ms  %s%n",
          step.path("name").asText(),
          status.equals("ok") ? "ok" : status.toUpperCase(java.util.Locale.ROOT),
          step.path("millis").asLong(),
          step.path("detail").asText(""));
    }
    JsonNode id = probe.path("identity");
    if (id.isObject()) {
      w.printf(
          "  identity: %s%s%n",
          id.path("username").asText("?"),
          id.path("groups").isArray() && id.path("groups").size() > 0
              ? " (groups " + String.join(", ", TextLists.of(id.path("groups"))) + ")"
              : "");
    }
    if (probe.hasNonNull("serverVersion")) {
      w.printf("  server version: %s%n", probe.get("serverVersion").asText());
    }
    if (probe.path("namespacesForbidden").asBoolean(false)) {
      w.println(
          "  namespaces: listing is forbidden for this identity; the connection still works"
              + " — type the namespace you deploy to");
    } else if (probe.path("namespaces").isArray()) {
      w.printf("  namespaces: %s%n", String.join(", ", TextLists.of(probe.get("namespaces"))));
    }
    if (probe.path("clusters").isArray()) {
      w.printf(
          "  AKS clusters in subscription %s: %s%n",
          probe.path("subscriptionId").asText("?"),
          probe.get("clusters").isEmpty()
              ? "(none)"
              : String.join(", ", TextLists.of(probe.get("clusters"))));
    }
    for (JsonNode warning : probe.path("warnings")) {
      w.printf("  warning: %s%n", warning.asText());
    }
    JsonNode d = probe.path("diagnosis");
    if (d.isObject()) {
      w.printf("  %s: %s%n", d.path("code").asText(), d.path("message").asText());
      if (d.hasNonNull("hint")) {
        w.printf("  what to do: %s%n", d.get("hint").asText());
      }
    }
    w.printf("  (%d ms)%n", probe.path("durationMillis").asLong());
    w.flush();
  }

  /** Small helper for JSON arrays of strings. */
  static final class TextLists {
    private TextLists() {}

    static java.util.List<String> of(JsonNode array) {
      java.util.List<String> out = new java.util.ArrayList<>();
      array.forEach(n -> out.add(n.asText()));
      return out;
    }
  }
}
