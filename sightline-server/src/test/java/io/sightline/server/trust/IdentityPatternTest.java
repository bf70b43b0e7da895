package io.sightline.server.trust;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sightline.core.SightlineException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class IdentityPatternTest {
  static boolean m(String pattern, String identity) {
    return IdentityPattern.parsePermission(pattern, "pipelines").matches(identity);
  }

  @Test
  @DisplayName("a literal pattern matches exactly that identity")
  void literal() {
    assertThat(m("github:org/app@refs/heads/main", "github:org/app@refs/heads/main")).isTrue();
    assertThat(m("github:org/app@refs/heads/main", "github:org/app@refs/heads/main2")).isFalse();
    assertThat(m("github:org/app@refs/heads/main", "ghes:org/app@refs/heads/main")).isFalse();
    assertThat(m("github:org/app@refs/heads/main", "github:Org/app@refs/heads/main")).isFalse();
  }

  @Test
  @DisplayName("* stays within one segment (no / or @); ** crosses them")
  void globs() {
    assertThat(m("github:org/*@refs/heads/main", "github:org/app@refs/heads/main")).isTrue();
    assertThat(m("github:org/*@refs/heads/main", "github:org/a/b@refs/heads/main")).isFalse();
    assertThat(m("github:org/*", "github:org/app@refs/heads/main")).isFalse();
    assertThat(m("github:org/app@refs/tags/v*", "github:org/app@refs/tags/v1.2.3")).isTrue();
    assertThat(m("github:org/app@refs/tags/v*", "github:org/app@refs/tags/v1/evil")).isFalse();
    assertThat(m("github:org/app@**", "github:org/app@refs/pull/7/merge")).isTrue();
    assertThat(m("github:org/app@**", "github:org/app2@refs/heads/main")).isFalse();
    assertThat(m("gitlab:group/**@refs/heads/main", "gitlab:group/sub/app@refs/heads/main"))
        .isTrue();
    assertThat(m("github:org/a.p+p@x", "github:org/aXp+p@x"))
        .as("regex characters are literal")
        .isFalse();
  }

  @Test
  @DisplayName("a permission pattern must name a trusted issuer, then a colon, and have no blanks")
  void refusedPatterns() {
    for (String bad :
        new String[] {"", "org/app", ":org/app", "github:", "Git Hub:x", "github:a b"}) {
      assertThatThrownBy(() -> IdentityPattern.parsePermission(bad, "pipelines"))
          .as(bad)
          .isInstanceOfSatisfying(
              SightlineException.class,
              e -> {
                assertThat(e.status()).isEqualTo(400);
                assertThat(e.field()).isEqualTo("pipelines");
                assertThat(e.code()).isEqualTo("INVALID_PIPELINE_PATTERN");
              });
    }
  }
}
