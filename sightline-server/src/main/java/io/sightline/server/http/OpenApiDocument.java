package io.sightline.server.http;

import io.sightline.core.Role;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Builds the OpenAPI 3.1 document from the route table: every {@link ApiRoute} becomes an
 * operation, its request/response records become schemas (by reflection over record components,
 * with {@link ApiField} for descriptions and required fields).
 */
public final class OpenApiDocument {
  private final Map<String, Object> schemas = new TreeMap<>();

  private OpenApiDocument() {}

  public static Map<String, Object> build(
      String version, String serverUrl, Collection<ApiRoute> routes) {
    return new OpenApiDocument().document(version, serverUrl, routes);
  }

  private Map<String, Object> document(
      String version, String serverUrl, Collection<ApiRoute> routes) {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("openapi", "3.1.0");
    doc.put(
        "info",
        map(
            "title",
            "Sightline API",
            "version",
            version,
            "description",
            "Short-lived, audited access to Kubernetes clusters. Authenticate with"
                + " `Authorization: Bearer slt_…`; roles nest admin ⊇ creator ⊇ user ⊇ reader."));
    if (serverUrl != null) {
      doc.put("servers", List.of(map("url", serverUrl)));
    }
    Map<String, Object> paths = new TreeMap<>();
    for (ApiRoute r : routes) {
      @SuppressWarnings("unchecked")
      Map<String, Object> item =
          (Map<String, Object>) paths.computeIfAbsent(r.path(), p -> new LinkedHashMap<>());
      item.put(r.method().name().toLowerCase(Locale.ROOT), operation(r));
    }
    doc.put("paths", paths);
    schemas.put("Problem", schema(Problem.class));
    doc.put(
        "components",
        map(
            "schemas",
            schemas,
            "securitySchemes",
            map("bearer", map("type", "http", "scheme", "bearer", "bearerFormat", "slt_…"))));
    return doc;
  }

  private Map<String, Object> operation(ApiRoute r) {
    Map<String, Object> op = new LinkedHashMap<>();
    op.put("summary", r.summary());
    op.put("operationId", operationId(r));
    op.put("x-sightline-auth", r.auth().name());
    if (r.auth() == ApiRoute.Auth.AGENT_PROOF) {
      op.put(
          "description",
          "Agents only: Authorization: Agent-Proof <JWS signed by the agent's registered key>, or"
              + " Agent-MAC <kid.ts.nonce.mac> under the session key a job brought (docs/agents.md).");
    } else if (r.auth() == ApiRoute.Auth.AGENT_REGISTRATION_TOKEN) {
      op.put("description", "Agents only: carries a one-time registration token in the body.");
    }
    if (r.role() != null) {
      op.put("description", "Requires the `" + r.role().wireName() + "` role (or a higher one).");
      op.put("security", List.of(map("bearer", List.of())));
      op.put("x-sightline-role", r.role().wireName());
    }
    List<Object> params = new ArrayList<>();
    for (String p : r.pathParams()) {
      params.add(map("name", p, "in", "path", "required", true, "schema", map("type", "string")));
    }
    for (ApiRoute.QueryParam q : r.queryParams()) {
      params.add(
          map(
              "name", q.name(),
              "in", "query",
              "required", false,
              "description", q.description(),
              "schema", map("type", q.type())));
    }
    if (!params.isEmpty()) {
      op.put("parameters", params);
    }
    if (r.requestType() != null) {
      op.put(
          "requestBody",
          map(
              "required",
              true,
              "content",
              map("application/json", map("schema", ref(r.requestType())))));
    }
    Map<String, Object> responses = new LinkedHashMap<>();
    if (r.responseType() != null) {
      responses.put(
          String.valueOf(r.status()),
          map(
              "description",
              "Success",
              "content",
              map("application/json", map("schema", ref(r.responseType())))));
    } else {
      responses.put(String.valueOf(r.status()), map("description", "Success"));
    }
    if (r.requestType() != null || !r.queryParams().isEmpty()) {
      responses.put("400", problem("The request is invalid; `field` names where."));
    }
    if (r.requestType() != null) {
      responses.put("413", problem("The body is larger than 1 MiB."));
    }
    if (r.role() != null) {
      responses.put("401", problem("Missing, unknown, expired or revoked API token."));
      if (r.role() != Role.READER) {
        responses.put("403", problem("The caller's role is below `" + r.role().wireName() + "`."));
      }
    }
    if (!r.pathParams().isEmpty()) {
      responses.put("404", problem("No such object."));
    }
    responses.put("503", problem("The store is unavailable; retry after `Retry-After` seconds."));
    op.put("responses", responses);
    return op;
  }

  private static String operationId(ApiRoute r) {
    StringBuilder sb = new StringBuilder(r.method().name().toLowerCase(Locale.ROOT));
    for (String part : r.path().replace("/api/v1/", "").split("[/{}-]+")) {
      if (!part.isEmpty()) {
        sb.append(Character.toUpperCase(part.charAt(0))).append(part.substring(1));
      }
    }
    return sb.toString();
  }

  private Map<String, Object> problem(String description) {
    return map(
        "description",
        description,
        "content",
        map(Problem.CONTENT_TYPE, map("schema", map("$ref", "#/components/schemas/Problem"))));
  }

  private Map<String, Object> ref(Class<?> type) {
    if (!type.isRecord()) {
      return typeSchema(type);
    }
    String name = type.getSimpleName();
    if (!schemas.containsKey(name)) {
      schemas.put(name, Map.of()); // placeholder against recursion
      schemas.put(name, schema(type));
    }
    return map("$ref", "#/components/schemas/" + name);
  }

  private Map<String, Object> schema(Class<?> record) {
    Map<String, Object> props = new LinkedHashMap<>();
    List<String> required = new ArrayList<>();
    for (RecordComponent c : record.getRecordComponents()) {
      Map<String, Object> s = new LinkedHashMap<>(schemaOf(c.getGenericType()));
      ApiField doc = c.getAnnotation(ApiField.class);
      if (doc != null) {
        if (!doc.value().isEmpty()) {
          s.put("description", doc.value());
        }
        if (!doc.example().isEmpty()) {
          s.put("examples", List.of(doc.example()));
        }
        if (doc.required()) {
          required.add(c.getName());
        }
      }
      props.put(c.getName(), s);
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("type", "object");
    out.put("properties", props);
    if (!required.isEmpty()) {
      out.put("required", required);
    }
    out.put("additionalProperties", false);
    return out;
  }

  private Map<String, Object> schemaOf(Type t) {
    if (t instanceof ParameterizedType p) {
      Class<?> raw = (Class<?>) p.getRawType();
      if (List.class.isAssignableFrom(raw) || Collection.class.isAssignableFrom(raw)) {
        return map("type", "array", "items", schemaOf(p.getActualTypeArguments()[0]));
      }
      if (Map.class.isAssignableFrom(raw)) {
        return map("type", "object");
      }
      return typeSchema(raw);
    }
    if (t instanceof Class<?> c) {
      return c.isRecord() ? ref(c) : typeSchema(c);
    }
    return map();
  }

  private static Map<String, Object> typeSchema(Class<?> c) {
    if (c == String.class) {
      return map("type", "string");
    }
    if (c == Instant.class) {
      return map("type", "string", "format", "date-time");
    }
    if (c == int.class || c == Integer.class) {
      return map("type", "integer", "format", "int32");
    }
    if (c == long.class || c == Long.class) {
      return map("type", "integer", "format", "int64");
    }
    if (c == boolean.class || c == Boolean.class) {
      return map("type", "boolean");
    }
    if (c.isEnum()) {
      List<String> values = new ArrayList<>();
      for (Object v : c.getEnumConstants()) {
        values.add(v.toString().toLowerCase(Locale.ROOT));
      }
      return map("type", "string", "enum", values);
    }
    if (Map.class.isAssignableFrom(c)) {
      return map("type", "object");
    }
    return map("type", "object");
  }

  private static Map<String, Object> map(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }
}
