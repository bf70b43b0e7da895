package io.sightline.testing.kube.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/** Label and field selectors as kube-apiserver parses them ({@code a=b,c!=d,e in (x,y),!f}). */
public final class Selectors {

  private Selectors() {}

  /** A predicate over objects for {@code labelSelector}; null or blank matches everything. */
  public static Predicate<JsonNode> labels(String selector) {
    if (selector == null || selector.isBlank()) {
      return o -> true;
    }
    List<Predicate<JsonNode>> parts = new ArrayList<>();
    for (String req : splitTopLevel(selector)) {
      String r = req.trim();
      if (r.isEmpty()) {
        continue;
      }
      parts.add(labelRequirement(r));
    }
    return o -> parts.stream().allMatch(p -> p.test(o));
  }

  private static Predicate<JsonNode> labelRequirement(String r) {
    java.util.regex.Matcher set =
        java.util.regex.Pattern.compile("^([^\\s!=]+)\\s+(in|notin)\\s*\\((.*)\\)$").matcher(r);
    if (set.matches()) {
      String key = set.group(1);
      boolean in = set.group(2).equals("in");
      Set<String> values = Set.copyOf(trimAll(set.group(3).split(",")));
      return o -> {
        String v = label(o, key);
        return in ? v != null && values.contains(v) : v == null || !values.contains(v);
      };
    }
    if (r.startsWith("!")) {
      String key = r.substring(1).trim();
      return o -> label(o, key) == null;
    }
    int ne = r.indexOf("!=");
    if (ne > 0) {
      String key = r.substring(0, ne).trim();
      String value = r.substring(ne + 2).trim();
      return o -> !value.equals(label(o, key));
    }
    int eq = r.indexOf('=');
    if (eq > 0) {
      String key = r.substring(0, eq).trim();
      String value = r.substring(r.startsWith("==", eq) ? eq + 2 : eq + 1).trim();
      return o -> value.equals(label(o, key));
    }
    if (!r.matches("[A-Za-z0-9._/-]+")) {
      throw ApiException.badRequest("unable to parse requirement: " + r);
    }
    return o -> label(o, r) != null;
  }

  /** A predicate for {@code fieldSelector}: equality on dotted paths such as metadata.name. */
  public static Predicate<JsonNode> fields(String selector) {
    if (selector == null || selector.isBlank()) {
      return o -> true;
    }
    List<Predicate<JsonNode>> parts = new ArrayList<>();
    for (String req : selector.split(",")) {
      String r = req.trim();
      int ne = r.indexOf("!=");
      int eq = r.indexOf('=');
      if (ne > 0) {
        String path = r.substring(0, ne).trim();
        String value = r.substring(ne + 2).trim();
        parts.add(o -> !value.equals(String.valueOf(Json.text(o, path))));
      } else if (eq > 0) {
        String path = r.substring(0, eq).trim();
        String value = r.substring(r.startsWith("==", eq) ? eq + 2 : eq + 1).trim();
        parts.add(o -> value.equals(Json.text(o, path)));
      } else {
        throw ApiException.badRequest("invalid selector: '" + selector + "'");
      }
    }
    return o -> parts.stream().allMatch(p -> p.test(o));
  }

  private static String label(JsonNode o, String key) {
    JsonNode v = o.path("metadata").path("labels").get(key);
    return v == null || v.isNull() ? null : v.asText();
  }

  private static List<String> splitTopLevel(String s) {
    List<String> out = new ArrayList<>();
    int depth = 0;
    int start = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '(') {
        depth++;
      } else if (c == ')') {
        depth--;
      } else if (c == ',' && depth == 0) {
        out.add(s.substring(start, i));
        start = i + 1;
      }
    }
    out.add(s.substring(start));
    return out;
  }

  private static List<String> trimAll(String[] values) {
    List<String> out = new ArrayList<>();
    for (String v : values) {
      if (!v.isBlank()) {
        out.add(v.trim());
      }
    }
    return out;
  }
}
