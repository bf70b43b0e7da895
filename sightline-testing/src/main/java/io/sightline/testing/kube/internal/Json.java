package io.sightline.testing.kube.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/** Jackson helpers and the {@code Status} bodies kube-apiserver answers errors with. */
public final class Json {

  public static final ObjectMapper MAPPER = new ObjectMapper();

  private Json() {}

  public static ObjectNode object() {
    return MAPPER.createObjectNode();
  }

  public static ArrayNode array() {
    return MAPPER.createArrayNode();
  }

  public static JsonNode parse(byte[] body) throws IOException {
    return MAPPER.readTree(body);
  }

  public static byte[] bytes(JsonNode node) {
    try {
      return MAPPER.writeValueAsBytes(node);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  public static String now() {
    return Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
  }

  /** Text at a dotted path ({@code metadata.name}), or null. */
  public static String text(JsonNode node, String dottedPath) {
    JsonNode n = node;
    for (String part : dottedPath.split("\\.")) {
      if (n == null) {
        return null;
      }
      n = n.get(part);
    }
    return n == null || n.isNull() || n.isContainerNode() ? null : n.asText();
  }

  /** The object at {@code key} under {@code parent}, created if missing or not an object. */
  public static ObjectNode with(ObjectNode parent, String key) {
    JsonNode n = parent.get(key);
    if (n instanceof ObjectNode) {
      return (ObjectNode) n;
    }
    return parent.putObject(key);
  }

  /** A {@code Status} object with status Failure. */
  public static ObjectNode status(int code, String reason, String message, ObjectNode details) {
    ObjectNode s = object();
    s.put("kind", "Status");
    s.put("apiVersion", "v1");
    s.putObject("metadata");
    s.put("status", "Failure");
    s.put("message", message);
    if (reason != null) {
      s.put("reason", reason);
    }
    if (details != null) {
      s.set("details", details);
    }
    s.put("code", code);
    return s;
  }

  public static ObjectNode details(String name, String group, String kind) {
    ObjectNode d = object();
    if (name != null && !name.isEmpty()) {
      d.put("name", name);
    }
    if (group != null && !group.isEmpty()) {
      d.put("group", group);
    }
    if (kind != null) {
      d.put("kind", kind);
    }
    return d;
  }
}
