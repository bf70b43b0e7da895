package io.sightline.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.sightline.server.ServerConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/** Rendered Kubernetes objects, parsed from multi-document YAML, and the checks they share. */
final class Manifests {
  /** Shapes of the secrets the deployment carries: an API token, a base64 32-byte key. */
  private static final Pattern SECRET_SHAPES =
      Pattern.compile("slt_[A-Za-z0-9_-]{20,}|(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{43}=");

  private static final Set<String> SECRET_ENV =
      Set.of("SIGHTLINE_MASTER_KEY", "SIGHTLINE_DB_PASSWORD", "SIGHTLINE_BOOTSTRAP_TOKEN");

  final String yaml;
  final List<Map<String, Object>> objects;

  private Manifests(String yaml, List<Map<String, Object>> objects) {
    this.yaml = yaml;
    this.objects = objects;
  }

  @SuppressWarnings("unchecked")
  static Manifests parse(String yaml) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Object doc : new Load(LoadSettings.builder().build()).loadAllFromString(yaml)) {
      if (doc != null) {
        out.add((Map<String, Object>) doc);
      }
    }
    return new Manifests(yaml, out);
  }

  static Path deployDir() {
    return Path.of(
            Objects.requireNonNull(
                System.getProperty("sightline.deploy-dir"), "sightline.deploy-dir is not set"))
        .toAbsolutePath()
        .normalize();
  }

  List<String> kinds() {
    return objects.stream().map(o -> (String) o.get("kind")).sorted().toList();
  }

  List<Map<String, Object>> ofKind(String kind) {
    return objects.stream().filter(o -> kind.equals(o.get("kind"))).toList();
  }

  Map<String, Object> one(String kind, String component) {
    List<Map<String, Object>> found =
        ofKind(kind).stream()
            .filter(
                o ->
                    component == null
                        || component.equals(
                            map(map(o, "metadata"), "labels").get("app.kubernetes.io/component")))
            .toList();
    assertThat(found).as("one %s (component %s) in %s", kind, component, kinds()).hasSize(1);
    return found.get(0);
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> map(Map<String, Object> m, String key) {
    Object v = m.get(key);
    assertThat(v).as("%s in %s", key, m.keySet()).isInstanceOf(Map.class);
    return (Map<String, Object>) v;
  }

  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> list(Map<String, Object> m, String key) {
    Object v = m.get(key);
    return v == null ? List.of() : (List<Map<String, Object>>) v;
  }

  static Map<String, Object> podSpec(Map<String, Object> workload) {
    return map(map(map(workload, "spec"), "template"), "spec");
  }

  static Map<String, Object> container(Map<String, Object> workload, String name) {
    List<Map<String, Object>> cs = list(podSpec(workload), "containers");
    return cs.stream()
        .filter(c -> name.equals(c.get("name")))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no container " + name + " in " + cs));
  }

  static Map<String, Map<String, Object>> env(Map<String, Object> container) {
    return list(container, "env").stream()
        .collect(Collectors.toMap(e -> (String) e.get("name"), e -> e, (a, b) -> b));
  }

  /** No Secret object, no secret in a plain env value, nothing shaped like a key or token. */
  void assertNoSecretValuesInlined() {
    assertThat(kinds())
        .as("the deployment never carries a Secret of its own")
        .doesNotContain("Secret");
    assertThat(SECRET_SHAPES.matcher(yaml).find())
        .as("nothing shaped like an slt_ token or a base64 key in the rendered YAML")
        .isFalse();
    walk(
        objects,
        node -> {
          if (node.get("name") instanceof String n && SECRET_ENV.contains(n)) {
            assertThat(node).as("env %s", n).doesNotContainKey("value");
            Map<String, Object> from = map(node, "valueFrom");
            assertThat(from).as("env %s comes from a Secret", n).containsOnlyKeys("secretKeyRef");
          }
        });
  }

  /** Every SIGHTLINE_* variable given to the server is one the server reads (ServerConfig). */
  static void assertServerEnvNamesAreKnown(Iterable<String> names) {
    Set<String> known =
        ServerConfig.keys().stream().map(ServerConfig::envName).collect(Collectors.toSet());
    for (String n : names) {
      if (n.startsWith("SIGHTLINE_")) {
        assertThat(known).as("%s is a setting the server reads", n).contains(n);
      }
    }
  }

  /** Probe paths and the non-root, read-only, no-capabilities security context of a pod. */
  static void assertHardenedWithProbes(Map<String, Object> workload, String containerName) {
    Map<String, Object> pod = podSpec(workload);
    Map<String, Object> psc = map(pod, "securityContext");
    assertThat(psc.get("runAsNonRoot")).isEqualTo(true);
    assertThat(((Number) psc.get("runAsUser")).intValue()).isGreaterThan(0);
    assertThat(pod.get("automountServiceAccountToken")).isEqualTo(false);
    Map<String, Object> c = container(workload, containerName);
    Map<String, Object> sc = map(c, "securityContext");
    assertThat(sc.get("readOnlyRootFilesystem")).isEqualTo(true);
    assertThat(sc.get("allowPrivilegeEscalation")).isEqualTo(false);
    assertThat(sc.get("runAsNonRoot")).isEqualTo(true);
    assertThat(map(sc, "capabilities").get("drop")).isEqualTo(List.of("ALL"));
    assertThat(probePath(c, "livenessProbe")).isEqualTo("/healthz");
    assertThat(probePath(c, "readinessProbe")).isEqualTo("/readyz");
    if (c.containsKey("startupProbe")) {
      assertThat(probePath(c, "startupProbe")).isEqualTo("/healthz");
    }
    List<Map<String, Object>> ports = list(c, "ports");
    assertThat(ports).anySatisfy(p -> assertThat(p.get("name")).isEqualTo("http"));
    assertThat(map(map(c, "resources"), "requests")).containsKeys("cpu", "memory");
    assertThat(map(map(c, "resources"), "limits")).containsKey("memory");
    // /tmp is writable although the root file system is not (the JVM and Jetty need it).
    assertThat(list(c, "volumeMounts"))
        .anySatisfy(m -> assertThat(m.get("mountPath")).isEqualTo("/tmp"));
  }

  static String probePath(Map<String, Object> container, String probe) {
    Map<String, Object> get = map(map(container, probe), "httpGet");
    assertThat(get.get("port")).as("%s port", probe).isEqualTo("http");
    return (String) get.get("path");
  }

  @SuppressWarnings("unchecked")
  private static void walk(Object node, Consumer<Map<String, Object>> visit) {
    if (node instanceof Map<?, ?> m) {
      visit.accept((Map<String, Object>) m);
      m.values().forEach(v -> walk(v, visit));
    } else if (node instanceof List<?> l) {
      l.forEach(v -> walk(v, visit));
    }
  }
}
