package io.sightline.testing.kube.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;

/**
 * Reads the request bodies older kubectl clients send as {@code
 * application/vnd.kubernetes.protobuf} (the 1.27 client the kubectl dispatcher picks for a 1.23
 * server does so for every typed create) into the JSON the rest of the emulator uses. Only the
 * kinds and fields such a client writes for namespaces, service accounts, secrets, config maps,
 * RBAC bindings, TokenRequests and access reviews are known; anything else is answered 415.
 */
final class Protobuf {

  private static final byte[] MAGIC = {'k', '8', 's', 0};

  private Protobuf() {}

  /** One message schema: field number → (json name, kind). */
  private record Field(String name, String kind, String message) {}

  private static final Map<String, Map<Integer, Field>> SCHEMAS =
      Map.ofEntries(
          Map.entry(
              "ObjectMeta",
              Map.of(
                  1, new Field("name", "string", null),
                  2, new Field("generateName", "string", null),
                  3, new Field("namespace", "string", null),
                  11, new Field("labels", "map", null),
                  12, new Field("annotations", "map", null))),
          Map.entry("Namespace", Map.of(1, new Field("metadata", "message", "ObjectMeta"))),
          Map.entry("ServiceAccount", Map.of(1, new Field("metadata", "message", "ObjectMeta"))),
          Map.entry(
              "Secret",
              Map.of(
                  1, new Field("metadata", "message", "ObjectMeta"),
                  2, new Field("data", "bytesmap", null),
                  3, new Field("type", "string", null),
                  4, new Field("stringData", "map", null))),
          Map.entry(
              "ConfigMap",
              Map.of(
                  1, new Field("metadata", "message", "ObjectMeta"),
                  2, new Field("data", "map", null),
                  3, new Field("binaryData", "bytesmap", null))),
          Map.entry(
              "RoleBinding",
              Map.of(
                  1, new Field("metadata", "message", "ObjectMeta"),
                  2, new Field("subjects", "repeated", "Subject"),
                  3, new Field("roleRef", "message", "RoleRef"))),
          Map.entry(
              "ClusterRoleBinding",
              Map.of(
                  1, new Field("metadata", "message", "ObjectMeta"),
                  2, new Field("subjects", "repeated", "Subject"),
                  3, new Field("roleRef", "message", "RoleRef"))),
          Map.entry(
              "Subject",
              Map.of(
                  1, new Field("kind", "string", null),
                  2, new Field("apiGroup", "string", null),
                  3, new Field("name", "string", null),
                  4, new Field("namespace", "string", null))),
          Map.entry(
              "RoleRef",
              Map.of(
                  1, new Field("apiGroup", "string", null),
                  2, new Field("kind", "string", null),
                  3, new Field("name", "string", null))),
          Map.entry(
              "TokenRequest",
              Map.of(
                  1, new Field("metadata", "message", "ObjectMeta"),
                  2, new Field("spec", "message", "TokenRequestSpec"))),
          Map.entry(
              "TokenRequestSpec",
              Map.of(
                  1, new Field("audiences", "strings", null),
                  3, new Field("boundObjectRef", "message", "BoundObjectReference"),
                  4, new Field("expirationSeconds", "int", null))),
          Map.entry(
              "BoundObjectReference",
              Map.of(
                  1, new Field("kind", "string", null),
                  2, new Field("apiVersion", "string", null),
                  3, new Field("name", "string", null),
                  4, new Field("uid", "string", null))),
          Map.entry(
              "SelfSubjectAccessReview",
              Map.of(
                  1, new Field("metadata", "message", "ObjectMeta"),
                  2, new Field("spec", "message", "SelfSubjectAccessReviewSpec"))),
          Map.entry(
              "SelfSubjectAccessReviewSpec",
              Map.of(
                  1, new Field("resourceAttributes", "message", "ResourceAttributes"),
                  2, new Field("nonResourceAttributes", "message", "NonResourceAttributes"))),
          Map.entry(
              "ResourceAttributes",
              Map.of(
                  1, new Field("namespace", "string", null),
                  2, new Field("verb", "string", null),
                  3, new Field("group", "string", null),
                  4, new Field("version", "string", null),
                  5, new Field("resource", "string", null),
                  6, new Field("subresource", "string", null),
                  7, new Field("name", "string", null))),
          Map.entry(
              "NonResourceAttributes",
              Map.of(1, new Field("path", "string", null), 2, new Field("verb", "string", null))),
          Map.entry(
              "SelfSubjectRulesReview",
              Map.of(
                  1, new Field("metadata", "message", "ObjectMeta"),
                  2, new Field("spec", "message", "SelfSubjectRulesReviewSpec"))),
          Map.entry(
              "SelfSubjectRulesReviewSpec", Map.of(1, new Field("namespace", "string", null))));

  static boolean isProtobuf(String contentType) {
    return contentType != null && contentType.startsWith("application/vnd.kubernetes.protobuf");
  }

  /** The JSON form of a protobuf-encoded object of {@code kind}. */
  static ObjectNode toJson(byte[] body, String kind) {
    if (body.length < 4
        || body[0] != MAGIC[0]
        || body[1] != MAGIC[1]
        || body[2] != MAGIC[2]
        || body[3] != MAGIC[3]) {
      throw unsupported();
    }
    Reader envelope = new Reader(body, 4, body.length);
    byte[] raw = null;
    while (envelope.more()) {
      int tag = (int) envelope.varint();
      if (tag >>> 3 == 2 && (tag & 7) == 2) {
        raw = envelope.bytes();
      } else {
        envelope.skip(tag & 7);
      }
    }
    if (raw == null || !SCHEMAS.containsKey(kind)) {
      throw unsupported();
    }
    return decode(new Reader(raw, 0, raw.length), kind);
  }

  private static ObjectNode decode(Reader r, String schema) {
    Map<Integer, Field> fields = SCHEMAS.get(schema);
    ObjectNode out = Json.object();
    while (r.more()) {
      int tag = (int) r.varint();
      Field f = fields.get(tag >>> 3);
      if (f == null) {
        r.skip(tag & 7);
        continue;
      }
      switch (f.kind()) {
        case "string" -> out.put(f.name(), r.string());
        case "int" -> out.put(f.name(), r.varint());
        case "strings" -> {
          ArrayNode a = out.has(f.name()) ? (ArrayNode) out.get(f.name()) : out.putArray(f.name());
          a.add(r.string());
        }
        case "message" -> {
          byte[] b = r.bytes();
          out.set(f.name(), decode(new Reader(b, 0, b.length), f.message()));
        }
        case "repeated" -> {
          ArrayNode a = out.has(f.name()) ? (ArrayNode) out.get(f.name()) : out.putArray(f.name());
          byte[] b = r.bytes();
          a.add(decode(new Reader(b, 0, b.length), f.message()));
        }
        case "map", "bytesmap" -> {
          byte[] b = r.bytes();
          Reader entry = new Reader(b, 0, b.length);
          String key = "";
          byte[] value = new byte[0];
          while (entry.more()) {
            int t = (int) entry.varint();
            if (t >>> 3 == 1) {
              key = entry.string();
            } else if (t >>> 3 == 2) {
              value = entry.bytes();
            } else {
              entry.skip(t & 7);
            }
          }
          ObjectNode map = Json.with(out, f.name());
          map.put(
              key,
              f.kind().equals("map")
                  ? new String(value, StandardCharsets.UTF_8)
                  : Base64.getEncoder().encodeToString(value));
        }
        default -> throw new IllegalStateException(f.kind());
      }
    }
    return out;
  }

  private static ApiException unsupported() {
    return new ApiException(
        415,
        Json.status(
            415,
            "UnsupportedMediaType",
            "the emulator reads protobuf only for the kinds older kubectl clients create; send"
                + " application/json",
            null));
  }

  private static final class Reader {
    private final byte[] b;
    private int pos;
    private final int end;

    Reader(byte[] b, int pos, int end) {
      this.b = b;
      this.pos = pos;
      this.end = end;
    }

    boolean more() {
      return pos < end;
    }

    long varint() {
      long v = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        if (pos >= end) {
          throw unsupported();
        }
        byte x = b[pos++];
        v |= (long) (x & 0x7f) << shift;
        if ((x & 0x80) == 0) {
          return v;
        }
      }
      throw unsupported();
    }

    byte[] bytes() {
      int len = (int) varint();
      if (len < 0 || pos + len > end) {
        throw unsupported();
      }
      byte[] out = java.util.Arrays.copyOfRange(b, pos, pos + len);
      pos += len;
      return out;
    }

    String string() {
      return new String(bytes(), StandardCharsets.UTF_8);
    }

    void skip(int wireType) {
      switch (wireType) {
        case 0 -> varint();
        case 1 -> pos += 8;
        case 2 -> bytes();
        case 5 -> pos += 4;
        default -> throw unsupported();
      }
    }
  }
}
