package io.sightline.kubernetes.internal;

import io.sightline.core.SightlineException;
import java.util.List;
import java.util.Map;

/** Typed access to a parsed YAML tree; every error names the dotted field. */
public final class Tree {
  private Tree() {}

  /** The mapping at {@code key}, or null when absent. */
  public static Map<?, ?> map(Map<?, ?> parent, String key, String field) {
    Object v = parent.get(key);
    if (v == null) {
      return null;
    }
    if (!(v instanceof Map)) {
      throw SightlineException.badRequest(
          "INVALID_INPUT", field, field + " must be a mapping (key: value pairs)");
    }
    return (Map<?, ?>) v;
  }

  /** The list at {@code key}, or an empty list when absent. */
  public static List<?> list(Map<?, ?> parent, String key, String field) {
    Object v = parent.get(key);
    if (v == null) {
      return List.of();
    }
    if (!(v instanceof List)) {
      throw SightlineException.badRequest("INVALID_INPUT", field, field + " must be a list");
    }
    return (List<?>) v;
  }

  /** The scalar at {@code key} as a string, or null when absent. */
  public static String string(Map<?, ?> parent, String key, String field) {
    Object v = parent.get(key);
    if (v == null) {
      return null;
    }
    if (v instanceof Map || v instanceof List) {
      throw SightlineException.badRequest(
          "INVALID_INPUT", field, field + " must be a single value, not a list or mapping");
    }
    if (v instanceof byte[]) {
      throw SightlineException.badRequest(
          "INVALID_INPUT", field, field + " must be text, not a !!binary value");
    }
    return v.toString();
  }

  /** The boolean at {@code key} ({@code true}/{@code false}, also quoted); false when absent. */
  public static boolean bool(Map<?, ?> parent, String key, String field) {
    Object v = parent.get(key);
    if (v == null) {
      return false;
    }
    if (v instanceof Boolean b) {
      return b;
    }
    String s = v.toString().strip();
    if (s.equalsIgnoreCase("true")) {
      return true;
    }
    if (s.equalsIgnoreCase("false")) {
      return false;
    }
    throw SightlineException.badRequest("INVALID_INPUT", field, field + " must be true or false");
  }
}
