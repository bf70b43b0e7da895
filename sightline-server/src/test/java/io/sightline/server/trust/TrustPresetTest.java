package io.sightline.server.trust;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class TrustPresetTest {
  static Optional<String> map(TrustPreset p, String sub, Map<String, Object> claims) {
    return p.map(sub, claims, new StringBuilder());
  }

  @Test
  @DisplayName("GitHub Actions: repository@ref")
  void gitHub() {
    assertThat(
            map(
                TrustPreset.GITHUB,
                "repo:org/app:environment:prod",
                Map.of("repository", "org/app", "ref", "refs/tags/v1.0.0")))
        .contains("org/app@refs/tags/v1.0.0");
    StringBuilder why = new StringBuilder();
    assertThat(TrustPreset.GITHUB.map("repo:org/app", Map.of("repository", "org/app"), why))
        .isEmpty();
    assertThat(why.toString()).contains("repository and ref");
  }

  @Test
  @DisplayName("GitLab: project_path@refs/heads/<ref> for branches, refs/tags/<ref> for tags")
  void gitLab() {
    assertThat(
            map(
                TrustPreset.GITLAB,
                "project_path:group/app:ref_type:branch:ref:main",
                Map.of("project_path", "group/app", "ref", "main", "ref_type", "branch")))
        .contains("group/app@refs/heads/main");
    assertThat(
            map(
                TrustPreset.GITLAB,
                "project_path:group/app:ref_type:tag:ref:v2",
                Map.of("project_path", "group/app", "ref", "v2", "ref_type", "tag")))
        .contains("group/app@refs/tags/v2");
  }

  @Test
  @DisplayName(
      "Azure DevOps: org/project/connection from sc:// subjects, org id/connection id from Entra"
          + " subjects, nothing from others")
  void azureDevOps() {
    assertThat(map(TrustPreset.AZURE_DEVOPS, "sc://contoso/web/prod-deploy", Map.of()))
        .contains("contoso/web/prod-deploy");
    assertThat(
            map(
                TrustPreset.AZURE_DEVOPS,
                "/eid1/c/pub/t/v4j5cvGGr0GRqy180BHbRw/a/AAAA/sc/8d5b-org/1c2d-conn",
                Map.of()))
        .contains("8d5b-org/1c2d-conn");
    assertThat(map(TrustPreset.AZURE_DEVOPS, "repo:org/app:ref:refs/heads/main", Map.of()))
        .isEmpty();
    assertThat(TrustPreset.AzureDevOps.PIN.matcher("/eid1/c/pub/t/T/a/A/sc/ORG/").matches())
        .isTrue();
    assertThat(TrustPreset.AzureDevOps.PIN.matcher("/eid1/c/pub/t/T/a/A/sc/").matches()).isFalse();
  }

  @Test
  @DisplayName("generic: the subject itself")
  void generic() {
    assertThat(map(TrustPreset.GENERIC, "pipeline:42", Map.of())).contains("pipeline:42");
  }
}
