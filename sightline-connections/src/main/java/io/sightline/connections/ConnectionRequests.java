package io.sightline.connections;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sightline.core.SecretValue;
import io.sightline.core.SightlineException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Reads the flat wire form of a connection ({@code {"name", "kind", "authorizationType", ...}})
 * into a {@link ConnectionSpec} using the kind's {@link FieldSpec}s: unknown fields, wrong types
 * and missing required fields are 400s naming the field and the fix.
 */
public final class ConnectionRequests {
  /** Envelope fields every kind has. */
  public static final List<String> ENVELOPE =
      List.of("name", "kind", "authorizationType", "scheme", "description");

  private static final Pattern NAME = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  private static final int MAX_DESCRIPTION = 1000;
  private static final ObjectMapper JSON = new ObjectMapper();

  private ConnectionRequests() {}

  /** Checks a connection name: 1–63 characters, {@code [a-z0-9]([-a-z0-9]*[a-z0-9])?}. */
  public static String checkName(String name) {
    if (name == null || name.isBlank()) {
      throw SightlineException.badRequest(
          "MISSING_FIELD", "name", "name is required: a name for the connection, e.g. prod");
    }
    if (name.length() > 63 || !NAME.matcher(name).matches()) {
      throw SightlineException.badRequest(
          "INVALID_CONNECTION_NAME",
          "name",
          "name \""
              + (name.length() > 80 ? name.substring(0, 80) + "…" : name)
              + "\" is not a connection name: 1-63 lowercase letters, digits and '-', starting and"
              + " ending with a letter or digit ([a-z0-9]([-a-z0-9]*[a-z0-9])?)");
    }
    return name;
  }

  /**
   * Parses a create (or update) body.
   *
   * @param storedSecrets the secret fields an update may omit because they are stored already
   *     (empty on create)
   */
  public static ConnectionSpec parse(JsonNode body, Set<String> storedSecrets) {
    if (body == null || !body.isObject()) {
      throw SightlineException.badRequest(
          "INVALID_TYPE", null, "the body must be a JSON object describing the connection");
    }
    String name = checkName(envelopeString(body, "name"));
    ConnectionKind kind = ConnectionKind.fromWire(envelopeString(body, "kind"), typeOf(body));
    String description = envelopeString(body, "description");
    if (description != null && description.length() > MAX_DESCRIPTION) {
      throw SightlineException.badRequest(
          "INVALID_VALUE",
          "description",
          "description is longer than " + MAX_DESCRIPTION + " characters: shorten it");
    }
    ConnectionType type = ConnectionTypes.of(kind);
    Map<String, Object> values = new LinkedHashMap<>();
    Map<String, SecretValue> secrets = new LinkedHashMap<>();
    Iterator<Map.Entry<String, JsonNode>> it = body.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      String key = e.getKey();
      if (ENVELOPE.contains(key)) {
        continue;
      }
      FieldSpec f = find(type, key);
      if (f == null) {
        throw SightlineException.badRequest(
            "UNKNOWN_FIELD",
            key,
            "unknown field \""
                + key
                + "\" for "
                + kind.typeField()
                + " "
                + kind.authorizationType()
                + ": remove it (accepted: "
                + String.join(", ", accepted(type))
                + ")");
      }
      JsonNode v = e.getValue();
      if (v == null || v.isNull()) {
        continue; // null means "not given" (an update keeps the stored secret)
      }
      if (values.containsKey(f.name()) || secrets.containsKey(f.name())) {
        throw SightlineException.badRequest(
            "DUPLICATE_FIELD",
            key,
            "\"" + key + "\" and another name for the same field are both given: give one");
      }
      Object value = value(f, key, v);
      if (f.secret()) {
        String text = (String) value;
        if (!text.isEmpty()) {
          secrets.put(f.name(), SecretValue.of(text));
        }
      } else {
        values.put(f.name(), value);
      }
    }
    for (FieldSpec f : type.fields()) {
      boolean given =
          values.containsKey(f.name())
              || secrets.containsKey(f.name())
              || storedSecrets.contains(f.name());
      if (f.required() && !given) {
        throw SightlineException.badRequest(
            "MISSING_FIELD",
            f.name(),
            f.name()
                + " is required for "
                + kind.typeField()
                + " "
                + kind.authorizationType()
                + ": "
                + f.help());
      }
    }
    ConnectionSpec spec = new ConnectionSpec(name, kind, description, values, secrets);
    return spec;
  }

  /**
   * The second coordinate: {@code authorizationType}, or for {@code kind: azurerm} Azure DevOps'
   * {@code scheme} (an equal {@code authorizationType} is accepted beside it).
   */
  private static String typeOf(JsonNode body) {
    String auth = envelopeString(body, "authorizationType");
    String scheme = envelopeString(body, "scheme");
    if (scheme == null) {
      return auth;
    }
    if (!ConnectionKind.AZURERM.equals(envelopeString(body, "kind"))) {
      throw SightlineException.badRequest(
          "UNKNOWN_FIELD",
          "scheme",
          "scheme belongs to kind azurerm: for kind kubernetes give authorizationType instead");
    }
    if (auth != null && !auth.strip().equalsIgnoreCase(scheme.strip())) {
      throw SightlineException.badRequest(
          "CONFLICTING_FIELDS",
          "authorizationType",
          "scheme and authorizationType differ: give scheme only (ServicePrincipal,"
              + " WorkloadIdentityFederation or ManagedServiceIdentity)");
    }
    return scheme;
  }

  private static FieldSpec find(ConnectionType type, String key) {
    for (FieldSpec f : type.fields()) {
      if (f.name().equals(key) || f.aliases().contains(key)) {
        return f;
      }
    }
    return null;
  }

  private static List<String> accepted(ConnectionType type) {
    Set<String> out = new TreeSet<>(ENVELOPE);
    for (FieldSpec f : type.fields()) {
      out.add(f.name());
      out.addAll(f.aliases());
    }
    return new ArrayList<>(out);
  }

  private static String envelopeString(JsonNode body, String key) {
    JsonNode v = body.get(key);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isTextual()) {
      throw SightlineException.badRequest(
          "INVALID_TYPE", key, "field \"" + key + "\" must be a string");
    }
    return v.asText();
  }

  private static Object value(FieldSpec f, String key, JsonNode v) {
    switch (f.type()) {
      case STRING, TEXT -> {
        if (!v.isTextual()) {
          throw SightlineException.badRequest(
              "INVALID_TYPE",
              key,
              "field \""
                  + key
                  + "\" must be a string"
                  + (f.type() == FieldType.TEXT ? " (the text itself, not a file name)" : ""));
        }
        return f.type() == FieldType.STRING ? v.asText().strip() : v.asText();
      }
      case BOOLEAN -> {
        if (!v.isBoolean()) {
          throw SightlineException.badRequest(
              "INVALID_TYPE", key, "field \"" + key + "\" must be true or false");
        }
        return v.asBoolean();
      }
      case VIA -> {
        return Via.parse(key, v);
      }
      case STRING_LIST -> {
        List<String> out = new ArrayList<>();
        if (v.isTextual()) {
          // ADO's single "namespace", or a comma-separated list
          for (String part : v.asText().split(",")) {
            if (!part.isBlank()) {
              out.add(part.strip());
            }
          }
          return List.copyOf(out);
        }
        if (!v.isArray()) {
          throw SightlineException.badRequest(
              "INVALID_TYPE", key, "field \"" + key + "\" must be an array of strings");
        }
        for (int i = 0; i < v.size(); i++) {
          if (!v.get(i).isTextual() || v.get(i).asText().isBlank()) {
            throw SightlineException.badRequest(
                "INVALID_TYPE",
                key + "[" + i + "]",
                "field \"" + key + "\" must be an array of non-empty strings");
          }
          out.add(v.get(i).asText().strip());
        }
        return List.copyOf(out);
      }
    }
    throw new IllegalStateException(f.type().toString());
  }

  /**
   * The flat wire form of {@code spec} INCLUDING its secret values, for round-trip tests and for
   * clients that send a spec. Never use it for a response: {@link #view} is the redacted form.
   */
  public static ObjectNode toWireWithSecrets(ConnectionSpec spec) {
    ObjectNode out = envelope(spec);
    for (FieldSpec f : spec.type().fields()) {
      if (spec.values().containsKey(f.name())) {
        put(out, f.name(), spec.values().get(f.name()));
      } else if (spec.secrets().containsKey(f.name())) {
        out.put(f.name(), spec.secrets().get(f.name()).reveal());
      }
    }
    return out;
  }

  /**
   * The redacted form: non-secret fields as given, then {@code hasSecret} and {@code secretFields}
   * (the names of the secret fields that hold a value) — never a secret value.
   *
   * @param storedSecretFields the secret fields that hold a value
   */
  public static ObjectNode view(ConnectionSpec spec, Set<String> storedSecretFields) {
    ObjectNode out = envelope(spec);
    for (FieldSpec f : spec.type().fields()) {
      if (!f.secret() && f.stored() && spec.values().containsKey(f.name())) {
        put(out, f.name(), spec.values().get(f.name()));
      }
    }
    ArrayNode names = out.putArray("secretFields");
    new TreeSet<>(storedSecretFields).forEach(names::add);
    out.put("hasSecret", !storedSecretFields.isEmpty());
    return out;
  }

  private static ObjectNode envelope(ConnectionSpec spec) {
    ObjectNode out = JSON.createObjectNode();
    out.put("name", spec.name());
    out.put("kind", spec.kind().kind());
    out.put(spec.kind().typeField(), spec.kind().authorizationType());
    if (spec.description() != null) {
      out.put("description", spec.description());
    }
    return out;
  }

  private static void put(ObjectNode out, String key, Object v) {
    if (v instanceof Boolean b) {
      out.put(key, b);
    } else if (v instanceof Map<?, ?> m) {
      ObjectNode o = out.putObject(key);
      m.forEach((k, x) -> o.put(String.valueOf(k), String.valueOf(x)));
    } else if (v instanceof List<?> l) {
      ArrayNode a = out.putArray(key);
      l.forEach(x -> a.add(String.valueOf(x)));
    } else {
      out.put(key, String.valueOf(v));
    }
  }

  /** Non-secret, stored values as a plain map (what the store keeps as JSON). */
  public static Map<String, Object> storedValues(ConnectionSpec spec) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (FieldSpec f : spec.type().fields()) {
      if (!f.secret() && f.stored() && spec.values().containsKey(f.name())) {
        out.put(f.name(), spec.values().get(f.name()));
      }
    }
    return out;
  }

  /** Rebuilds a spec from what the store keeps (values JSON map + opened secrets). */
  public static ConnectionSpec fromStored(
      String name,
      ConnectionKind kind,
      String description,
      Map<String, Object> values,
      Map<String, SecretValue> secrets) {
    Map<String, Object> clean = new LinkedHashMap<>();
    values.forEach(
        (k, v) -> {
          if (v instanceof List<?> l) {
            clean.put(k, l.stream().map(String::valueOf).toList());
          } else if (v instanceof Map<?, ?> m) {
            Map<String, String> copy = new LinkedHashMap<>();
            m.forEach((mk, mv) -> copy.put(String.valueOf(mk), String.valueOf(mv)));
            clean.put(k, Map.copyOf(copy));
          } else if (v != null) {
            clean.put(k, v);
          }
        });
    return new ConnectionSpec(name, kind, description, clean, secrets);
  }
}
