package io.sightline.server;

import io.sightline.server.http.ApiRoute;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Walks every HTTP handler a running server registered (the {@code /api/v1} route table and the
 * non-API routes such as {@code /healthz}), so the authorization matrix and the canary test
 * exercise a new route without being told about it.
 */
final class RouteWalker {
  private static final Pattern PARAM = Pattern.compile("\\{([^}]+)}|<([^>]+)>|\\*");

  private final Harness h;

  RouteWalker(Harness h) {
    this.h = h;
  }

  /** Every registered handler as {@code METHOD /path}, sorted, without Javalin's own hooks. */
  List<String> routes() {
    TreeSet<String> out = new TreeSet<>();
    for (String r : h.server.registeredHandlers()) {
      String method = r.substring(0, r.indexOf(' '));
      if (List.of("GET", "POST", "PUT", "PATCH", "DELETE").contains(method)) {
        out.add(r);
      }
    }
    return List.copyOf(out);
  }

  /** The route table's declaration of {@code key}, if it is an API route. */
  Optional<ApiRoute> declared(String key) {
    return h.server.apiRoutes().stream()
        .filter(r -> (r.method().name() + " " + r.path()).equals(key))
        .findFirst();
  }

  static String method(String key) {
    return key.substring(0, key.indexOf(' '));
  }

  static String path(String key) {
    return key.substring(key.indexOf(' ') + 1);
  }

  /** The path with each parameter replaced by {@code values.get(name)}, else {@code fallback}. */
  static String fill(String path, Map<String, String> values, String fallback) {
    Matcher m = PARAM.matcher(path);
    StringBuilder sb = new StringBuilder();
    while (m.find()) {
      String name = m.group(1) != null ? m.group(1) : m.group(2);
      String v = name == null ? fallback : values.getOrDefault(name, fallback);
      m.appendReplacement(sb, Matcher.quoteReplacement(v));
    }
    m.appendTail(sb);
    return sb.toString();
  }

  /** Sends {@code method path} with {@code bearer} (null: none) and a JSON body where one fits. */
  Harness.Response send(String method, String path, String bearer, String body) throws Exception {
    HttpRequest.Builder b = h.req(path, bearer).timeout(Duration.ofSeconds(60));
    if (body != null) {
      b.header("Content-Type", "application/json")
          .method(method, HttpRequest.BodyPublishers.ofString(body));
    } else {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    }
    return h.send(b.build());
  }

  /** Whether a route of this method takes a body. */
  static boolean hasBody(String method) {
    return List.of("POST", "PUT", "PATCH").contains(method);
  }

  /** Path parameter names of a route key, in order. */
  static List<String> params(String key) {
    List<String> out = new ArrayList<>();
    Matcher m = PARAM.matcher(path(key));
    while (m.find()) {
      out.add(m.group(1) != null ? m.group(1) : m.group(2) != null ? m.group(2) : "*");
    }
    return out;
  }
}
