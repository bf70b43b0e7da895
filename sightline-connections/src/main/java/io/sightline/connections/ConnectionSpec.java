package io.sightline.connections;

import io.sightline.core.SecretValue;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A validated connection as the user described it: its name, kind, description, the non-secret
 * field values given (strings, booleans, string lists) and the secret ones ({@link SecretValue}s,
 * redacted by {@link #toString()}). Absent fields are absent; {@link #bool}, {@link #string} and
 * {@link #list} apply the kind's declared defaults.
 */
public record ConnectionSpec(
    String name,
    ConnectionKind kind,
    String description,
    Map<String, Object> values,
    Map<String, SecretValue> secrets) {

  public ConnectionSpec {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(kind, "kind");
    values = Map.copyOf(values);
    secrets = Map.copyOf(secrets);
  }

  public ConnectionType type() {
    return ConnectionTypes.of(kind);
  }

  /** A string field's value, its default, or null. */
  public String string(String field) {
    Object v = values.containsKey(field) ? values.get(field) : type().field(field).defaultValue();
    return v == null ? null : v.toString();
  }

  /** A boolean field's value or its default (false when none). */
  public boolean bool(String field) {
    Object v = values.containsKey(field) ? values.get(field) : type().field(field).defaultValue();
    return Boolean.TRUE.equals(v);
  }

  /** A list field's value, or an empty list. */
  @SuppressWarnings("unchecked")
  public List<String> list(String field) {
    Object v = values.get(field);
    return v == null ? List.of() : (List<String>) v;
  }

  /** A secret field's value, or null. */
  public SecretValue secret(String field) {
    return secrets.get(field);
  }

  /** The same spec with {@code more} secrets added where this one has none. */
  public ConnectionSpec withSecretsKept(Map<String, SecretValue> stored) {
    Map<String, SecretValue> merged = new LinkedHashMap<>(stored);
    merged.putAll(secrets);
    return new ConnectionSpec(name, kind, description, values, merged);
  }

  /** Only the secrets the store keeps (declared {@code stored}). */
  public Map<String, SecretValue> storedSecrets() {
    Map<String, SecretValue> out = new LinkedHashMap<>();
    secrets.forEach(
        (k, v) -> {
          if (type().field(k).stored()) {
            out.put(k, v);
          }
        });
    return out;
  }

  @Override
  public String toString() {
    return "ConnectionSpec[name="
        + name
        + ", kind="
        + kind
        + ", values="
        + values
        + ", secretFields="
        + secrets.keySet()
        + "]";
  }
}
