package io.sightline.deploy;

import static io.sightline.deploy.Manifests.container;
import static io.sightline.deploy.Manifests.env;
import static io.sightline.deploy.Manifests.list;
import static io.sightline.deploy.Manifests.map;
import static io.sightline.deploy.Manifests.podSpec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Renders deploy/helm/sightline with helm-java (a real helm, bundled natively) and checks it. */
class HelmChartTest {
  private static final Path CHART = Manifests.deployDir().resolve("helm/sightline");
  private static final Path PRODUCTION =
      Manifests.deployDir().resolve("helm/examples/production.yaml");

  private static Manifests render(UnaryOperator<TemplateCommand> values) {
    String yaml =
        values
            .apply(new Helm(CHART).template().withName("sightline").withNamespace("sightline"))
            .call();
    return Manifests.parse(yaml);
  }

  private static String appVersion() throws Exception {
    return Files.readAllLines(CHART.resolve("Chart.yaml")).stream()
        .filter(l -> l.startsWith("appVersion:"))
        .map(l -> l.substring("appVersion:".length()).strip().replace("\"", ""))
        .findFirst()
        .orElseThrow();
  }

  @Test
  @DisplayName("helm lint finds no error in the chart")
  void lintPasses() {
    LintResult result = new Helm(CHART).lint().call();
    assertThat(result.isFailed()).as("lint messages: %s", result.getMessages()).isFalse();
  }

  @Test
  @DisplayName(
      "default values: one embedded replica on a volume, hardened, probed, no PDB, no Secret")
  void defaultValuesRenderAnEmbeddedSingleNode() throws Exception {
    Manifests m = render(t -> t);
    assertThat(m.kinds())
        .containsExactly("Deployment", "PersistentVolumeClaim", "Service", "ServiceAccount");
    Map<String, Object> server = m.one("Deployment", "server");
    assertThat(map(server, "spec").get("replicas")).isEqualTo(1);
    assertThat(map(map(server, "spec"), "strategy").get("type")).isEqualTo("Recreate");
    Manifests.assertHardenedWithProbes(server, "server");
    Map<String, Object> c = container(server, "server");
    assertThat(c.get("image")).isEqualTo("sightline:" + appVersion());
    Map<String, Map<String, Object>> env = env(c);
    assertThat(env).doesNotContainKeys("SIGHTLINE_DB_URL", "SIGHTLINE_MASTER_KEY");
    assertThat(env.get("SIGHTLINE_ALLOW_PLAINTEXT").get("value")).isEqualTo("true");
    assertThat((String) env.get("JAVA_OPTS").get("value")).contains("-XX:+UseG1GC", "-Xmx256m");
    Manifests.assertServerEnvNamesAreKnown(env.keySet());
    assertThat(list(podSpec(server), "volumes"))
        .anySatisfy(v -> assertThat(v).containsKey("persistentVolumeClaim"));
    m.assertNoSecretValuesInlined();
  }

  @Test
  @DisplayName(
      "production values: replicas on PostgreSQL, a PDB below them, secrets only by secretKeyRef")
  void productionValuesRenderReplicasWithSecretRefs() {
    Manifests m = render(t -> t.withValuesFile(PRODUCTION));
    assertThat(m.kinds())
        .containsExactly(
            "Deployment", "Ingress", "PodDisruptionBudget", "Service", "ServiceAccount");
    Map<String, Object> server = m.one("Deployment", "server");
    int replicas = (Integer) map(server, "spec").get("replicas");
    assertThat(replicas).isEqualTo(3);
    Map<String, Object> rolling = map(map(map(server, "spec"), "strategy"), "rollingUpdate");
    assertThat(rolling.get("maxUnavailable")).isEqualTo(0);
    Map<String, Object> pdb = map(m.one("PodDisruptionBudget", null), "spec");
    assertThat((Integer) pdb.get("minAvailable")).isEqualTo(2).isLessThan(replicas);
    assertThat(map(pdb, "selector").get("matchLabels"))
        .isEqualTo(map(map(server, "spec"), "selector").get("matchLabels"));
    Manifests.assertHardenedWithProbes(server, "server");
    Map<String, Object> c = container(server, "server");
    assertThat(c.get("image")).isEqualTo("registry.example/sightline:0.1.0");
    Map<String, Map<String, Object>> env = env(c);
    assertThat(env.get("SIGHTLINE_DB_URL").get("value"))
        .isEqualTo("jdbc:postgresql://pg.example:5432/sightline");
    assertThat(env.get("SIGHTLINE_PUBLIC_URL").get("value"))
        .isEqualTo("https://sightline.example.com");
    for (String secret :
        List.of("SIGHTLINE_MASTER_KEY", "SIGHTLINE_DB_PASSWORD", "SIGHTLINE_BOOTSTRAP_TOKEN")) {
      Map<String, Object> ref = map(map(env.get(secret), "valueFrom"), "secretKeyRef");
      assertThat(ref.get("name")).as(secret).isEqualTo("sightline");
    }
    Manifests.assertServerEnvNamesAreKnown(env.keySet());
    assertThat(list(podSpec(server), "volumes"))
        .allSatisfy(v -> assertThat(v).doesNotContainKey("persistentVolumeClaim"));
    Map<String, Object> ingress = map(m.one("Ingress", null), "spec");
    assertThat(list(ingress, "rules"))
        .singleElement()
        .satisfies(r -> assertThat(r.get("host")).isEqualTo("sightline.example.com"));
    m.assertNoSecretValuesInlined();
  }

  @Test
  @DisplayName("the image tag comes from values")
  void imageTagFromValues() {
    Manifests m = render(t -> t.set("image.repository", "example/sl").set("image.tag", "9.8.7"));
    assertThat(container(m.one("Deployment", "server"), "server").get("image"))
        .isEqualTo("example/sl:9.8.7");
  }

  @Test
  @DisplayName(
      "production mode without an existing Secret is refused: the chart never generates keys")
  void productionWithoutSecretIsRefused() {
    assertThatThrownBy(
            () -> render(t -> t.set("database.url", "jdbc:postgresql://pg:5432/sightline")))
        .hasMessageContaining("secrets.existingSecret is required");
  }

  @Test
  @DisplayName("a PDB that would block every drain (minAvailable >= replicas) is refused")
  void pdbAtReplicasIsRefused() {
    assertThatThrownBy(
            () ->
                render(
                    t ->
                        t.withValuesFile(PRODUCTION)
                            .set("replicaCount", 2)
                            .set("podDisruptionBudget.minAvailable", 2)))
        .hasMessageContaining("minAvailable must be below replicaCount");
  }

  @Test
  @DisplayName("the agent is off by default; enabled, it gets only a namespaced minting Role")
  void agentHasOnlyMintingRbac() {
    assertThat(render(t -> t).kinds()).doesNotContain("Role", "RoleBinding", "ClusterRole");
    Manifests m =
        render(
            t ->
                t.withValuesFile(PRODUCTION)
                    .set("agent.enabled", true)
                    .set("agent.serverUrl", "https://sightline.example.com")
                    .set("agent.registrationTokenSecret", "agent-registration")
                    .set("agent.homeNamespaces[0].namespace", "sightline-prod")
                    .set("agent.homeNamespaces[0].deployers[0]", "sightline-deployer-web"));
    assertThat(m.kinds()).doesNotContain("ClusterRole", "ClusterRoleBinding", "Secret");
    Map<String, Object> role = m.one("Role", "agent");
    assertThat(map(role, "metadata").get("namespace")).isEqualTo("sightline-prod");
    List<Map<String, Object>> rules = list(role, "rules");
    assertThat(rules)
        .allSatisfy(
            r -> {
              assertThat(r.get("verbs"))
                  .asList()
                  .doesNotContain("*", "bind", "escalate", "impersonate", "get", "list");
              assertThat(r.get("resources")).asList().doesNotContain("*", "roles", "rolebindings");
            });
    assertThat(rules)
        .anySatisfy(
            r -> {
              assertThat(r.get("resources")).isEqualTo(List.of("serviceaccounts/token"));
              assertThat(r.get("resourceNames")).isEqualTo(List.of("sightline-deployer-web"));
            });
    Map<String, Object> agent = m.one("Deployment", "agent");
    Map<String, Object> c = container(agent, "agent");
    assertThat(map(c, "securityContext").get("readOnlyRootFilesystem")).isEqualTo(true);
    assertThat(c.get("args").toString()).contains("--registration-token-file");
    assertThat(env(c)).doesNotContainKey("SIGHTLINE_REGISTRATION_TOKEN");
    m.assertNoSecretValuesInlined();
  }
}
