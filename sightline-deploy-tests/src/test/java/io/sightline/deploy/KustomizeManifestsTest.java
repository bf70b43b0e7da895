package io.sightline.deploy;

import static io.sightline.deploy.Manifests.container;
import static io.sightline.deploy.Manifests.env;
import static io.sightline.deploy.Manifests.list;
import static io.sightline.deploy.Manifests.map;
import static io.sightline.deploy.Manifests.podSpec;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Builds deploy/kubernetes with the real {@code kubectl kustomize} and checks the objects. */
class KustomizeManifestsTest {
  private static Manifests built;

  @BeforeAll
  static void build() throws Exception {
    ProcessBuilder pb =
        new ProcessBuilder(
            "kubectl", "kustomize", Manifests.deployDir().resolve("kubernetes").toString());
    pb.redirectErrorStream(false);
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      throw new AssertionError(
          "kubectl is needed to build deploy/kubernetes (kubectl kustomize) and is not on the PATH;"
              + " install kubectl >= 1.28 (README, prerequisites)",
          e);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Thread t = new Thread(() -> copy(p.getErrorStream(), err));
    t.start();
    p.getInputStream().transferTo(out);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("kubectl kustomize finished").isTrue();
    t.join();
    assertThat(p.exitValue())
        .as("kubectl kustomize exit code; stderr: %s", err.toString(StandardCharsets.UTF_8))
        .isZero();
    built = Manifests.parse(out.toString(StandardCharsets.UTF_8));
  }

  private static void copy(java.io.InputStream in, ByteArrayOutputStream out) {
    try {
      in.transferTo(out);
    } catch (IOException e) {
      // the exit code tells
    }
  }

  @Test
  @DisplayName("kustomize builds the namespace, config, server Deployment, Service and PDB")
  void kindsArePresent() {
    assertThat(built.kinds())
        .containsExactly(
            "ConfigMap",
            "Deployment",
            "Namespace",
            "PodDisruptionBudget",
            "Service",
            "ServiceAccount");
    assertThat(built.objects)
        .filteredOn(o -> !"Namespace".equals(o.get("kind")))
        .allSatisfy(o -> assertThat(map(o, "metadata").get("namespace")).isEqualTo("sightline"));
  }

  @Test
  @DisplayName(
      "the server is hardened, probed on /healthz and /readyz, and its PDB stays below its replicas")
  void serverIsHardenedAndConsistent() {
    Map<String, Object> server = built.one("Deployment", "server");
    Manifests.assertHardenedWithProbes(server, "server");
    int replicas = (Integer) map(server, "spec").get("replicas");
    assertThat(replicas).isGreaterThan(1);
    Map<String, Object> pdb = map(built.one("PodDisruptionBudget", null), "spec");
    assertThat((Integer) pdb.get("minAvailable")).isLessThan(replicas);
    Map<String, Object> selector = map(map(server, "spec"), "selector");
    assertThat(map(map(map(map(server, "spec"), "template"), "metadata"), "labels"))
        .containsAllEntriesOf(map(selector, "matchLabels"));
    assertThat(map(map(pdb, "selector"), "matchLabels")).isEqualTo(map(selector, "matchLabels"));
    Map<String, Object> svc = map(built.one("Service", null), "spec");
    assertThat(map(svc, "selector")).isEqualTo(map(selector, "matchLabels"));
    assertThat(container(server, "server").get("image")).isEqualTo("sightline:0.1.0");
  }

  @Test
  @DisplayName("settings reach the server under names it reads; secrets only by secretKeyRef")
  void configurationIsWiredAndSecretsAreReferenced() {
    Map<String, Object> server = built.one("Deployment", "server");
    Map<String, Object> c = container(server, "server");
    Map<String, Object> cm = built.one("ConfigMap", null);
    String cmName = (String) map(cm, "metadata").get("name");
    assertThat(cmName).as("generated name with a content hash").startsWith("sightline-config-");
    assertThat(list(c, "envFrom"))
        .anySatisfy(e -> assertThat(map(e, "configMapRef").get("name")).isEqualTo(cmName));
    Map<String, Object> data = map(cm, "data");
    assertThat(data).containsKeys("SIGHTLINE_DB_URL", "SIGHTLINE_DB_USER");
    Set<String> names = new HashSet<>(data.keySet());
    names.addAll(env(c).keySet());
    Manifests.assertServerEnvNamesAreKnown(names);
    for (String secret :
        List.of("SIGHTLINE_MASTER_KEY", "SIGHTLINE_DB_PASSWORD", "SIGHTLINE_BOOTSTRAP_TOKEN")) {
      assertThat(map(map(env(c).get(secret), "valueFrom"), "secretKeyRef").get("name"))
          .as(secret)
          .isEqualTo("sightline");
    }
    assertThat(podSpec(server).get("serviceAccountName")).isEqualTo("sightline");
    built.assertNoSecretValuesInlined();
  }
}
