package io.sightline.testing.kube.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;

/**
 * The three patch types kubectl sends: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and
 * strategic merge patch, the latter approximated by merging lists of objects on their usual merge
 * keys ({@code name}, {@code containerPort}, {@code port}, {@code mountPath}) and honouring the
 * {@code $patch}, {@code $setElementOrder} and {@code $deleteFromPrimitiveList} directives.
 */
public final class Patches {

  private static final List<String> MERGE_KEYS =
      List.of("name", "containerPort", "port", "mountPath", "ip", "type");

  private Patches() {}

  public static JsonNode mergePatch(JsonNode target, JsonNode patch) {
    if (!patch.isObject()) {
      return patch.deepCopy();
    }
    ObjectNode result = target != null && target.isObject() ? target.deepCopy() : Json.object();
    for (Map.Entry<String, JsonNode> e : patch.properties()) {
      if (e.getValue().isNull()) {
        result.remove(e.getKey());
      } else {
        result.set(e.getKey(), mergePatch(result.get(e.getKey()), e.getValue()));
      }
    }
    return result;
  }

  public static JsonNode strategicMerge(JsonNode target, JsonNode patch) {
    if (!patch.isObject()) {
      return patch.deepCopy();
    }
    if ("replace".equals(patch.path("$patch").asText(null))) {
      ObjectNode copy = patch.deepCopy();
      copy.remove("$patch");
      return copy;
    }
    ObjectNode result = target != null && target.isObject() ? target.deepCopy() : Json.object();
    for (Map.Entry<String, JsonNode> e : patch.properties()) {
      String k = e.getKey();
      JsonNode v = e.getValue();
      if (k.startsWith("$setElementOrder/") || k.equals("$retainKeys") || k.equals("$patch")) {
        continue;
      }
      if (k.startsWith("$deleteFromPrimitiveList/")) {
        String field = k.substring("$deleteFromPrimitiveList/".length());
        JsonNode list = result.get(field);
        if (list instanceof ArrayNode) {
          ArrayNode kept = Json.array();
          list.forEach(
              x -> {
                boolean delete = false;
                for (JsonNode d : v) {
                  delete |= d.equals(x);
                }
                if (!delete) {
                  kept.add(x);
                }
              });
          result.set(field, kept);
        }
        continue;
      }
      if (v.isNull()) {
        result.remove(k);
      } else if (v.isArray() && result.get(k) instanceof ArrayNode) {
        result.set(k, mergeList((ArrayNode) result.get(k), (ArrayNode) v));
      } else if (v.isObject() && "delete".equals(v.path("$patch").asText(null))) {
        result.remove(k);
      } else {
        result.set(k, strategicMerge(result.get(k), v));
      }
    }
    return result;
  }

  private static JsonNode mergeList(ArrayNode target, ArrayNode patch) {
    String mergeKey = mergeKey(patch);
    if (mergeKey == null) {
      ArrayNode out = Json.array();
      patch.forEach(
          p -> {
            if (!(p.isObject() && p.has("$patch"))) {
              out.add(p.deepCopy());
            }
          });
      return out;
    }
    ArrayNode out = target.deepCopy();
    for (JsonNode p : patch) {
      String key = p.path(mergeKey).asText();
      int index = -1;
      for (int i = 0; i < out.size(); i++) {
        if (key.equals(out.get(i).path(mergeKey).asText())) {
          index = i;
        }
      }
      if ("delete".equals(p.path("$patch").asText(null))) {
        if (index >= 0) {
          out.remove(index);
        }
      } else if (index >= 0) {
        out.set(index, strategicMerge(out.get(index), p));
      } else {
        out.add(strategicMerge(Json.object(), p));
      }
    }
    return out;
  }

  private static String mergeKey(ArrayNode patch) {
    if (patch.isEmpty() || !patch.get(0).isObject()) {
      return null;
    }
    for (String k : MERGE_KEYS) {
      boolean all = true;
      for (JsonNode p : patch) {
        all &= p.has(k);
      }
      if (all) {
        return k;
      }
    }
    return null;
  }

  /** RFC 6902. */
  public static JsonNode jsonPatch(JsonNode target, JsonNode ops) {
    JsonNode doc = target.deepCopy();
    if (!ops.isArray()) {
      throw ApiException.badRequest("json patch must be an array of operations");
    }
    for (JsonNode op : ops) {
      String kind = op.path("op").asText();
      String path = op.path("path").asText();
      switch (kind) {
        case "add" -> doc = put(doc, path, op.get("value").deepCopy(), true);
        case "replace" -> {
          get(doc, path);
          doc = put(doc, path, op.get("value").deepCopy(), false);
        }
        case "remove" -> doc = remove(doc, path);
        case "test" -> {
          if (!get(doc, path).equals(op.get("value"))) {
            throw new ApiException(
                422,
                Json.status(
                    422,
                    "Invalid",
                    "the server rejected our request due to an error in our request",
                    null));
          }
        }
        case "copy" -> doc = put(doc, path, get(doc, op.path("from").asText()).deepCopy(), true);
        case "move" -> {
          JsonNode v = get(doc, op.path("from").asText()).deepCopy();
          doc = remove(doc, op.path("from").asText());
          doc = put(doc, path, v, true);
        }
        default -> throw ApiException.badRequest("unknown json patch operation: " + kind);
      }
    }
    return doc;
  }

  private static String[] tokens(String pointer) {
    if (pointer.isEmpty()) {
      return new String[0];
    }
    String[] t = pointer.substring(1).split("/", -1);
    for (int i = 0; i < t.length; i++) {
      t[i] = t[i].replace("~1", "/").replace("~0", "~");
    }
    return t;
  }

  private static JsonNode get(JsonNode doc, String pointer) {
    JsonNode n = doc;
    for (String t : tokens(pointer)) {
      n = n.isArray() ? n.get(Integer.parseInt(t)) : n.get(t);
      if (n == null) {
        throw new ApiException(
            422,
            Json.status(
                422,
                "Invalid",
                "the server rejected our request: path " + pointer + " not found",
                null));
      }
    }
    return n;
  }

  private static JsonNode put(JsonNode doc, String pointer, JsonNode value, boolean insert) {
    String[] t = tokens(pointer);
    if (t.length == 0) {
      return value;
    }
    JsonNode parent = get(doc, pointerOf(t, t.length - 1));
    String last = t[t.length - 1];
    if (parent instanceof ArrayNode a) {
      if (last.equals("-")) {
        a.add(value);
      } else if (insert) {
        a.insert(Integer.parseInt(last), value);
      } else {
        a.set(Integer.parseInt(last), value);
      }
    } else if (parent instanceof ObjectNode o) {
      o.set(last, value);
    }
    return doc;
  }

  private static JsonNode remove(JsonNode doc, String pointer) {
    String[] t = tokens(pointer);
    get(doc, pointer);
    JsonNode parent = get(doc, pointerOf(t, t.length - 1));
    String last = t[t.length - 1];
    if (parent instanceof ArrayNode a) {
      a.remove(Integer.parseInt(last));
    } else if (parent instanceof ObjectNode o) {
      o.remove(last);
    }
    return doc;
  }

  private static String pointerOf(String[] t, int n) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < n; i++) {
      sb.append('/').append(t[i].replace("~", "~0").replace("/", "~1"));
    }
    return sb.toString();
  }
}
