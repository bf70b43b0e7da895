package io.sightline.server.trust;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How a CI's ID-token claims become a pipeline identity ({@code <trust name>:<mapped>}), and which
 * claims a lease records. One constant per CI; see docs/trust.md.
 */
public enum TrustPreset {
  /**
   * GitHub Actions: {@code <trust>:<repository>@<ref>}, e.g. {@code
   * github:org/app@refs/heads/main}.
   */
  GITHUB(
      "github",
      "https://token.actions.githubusercontent.com",
      null,
      List.of(
          "repository",
          "repository_owner",
          "ref",
          "ref_type",
          "sha",
          "workflow",
          "workflow_ref",
          "job_workflow_ref",
          "run_id",
          "run_number",
          "run_attempt",
          "actor",
          "event_name",
          "environment")),
  /** GitLab: {@code <trust>:<project_path>@refs/heads/<ref>} (tags: {@code refs/tags/<ref>}). */
  GITLAB(
      "gitlab",
      "https://gitlab.com",
      null,
      List.of(
          "project_path",
          "namespace_path",
          "ref",
          "ref_type",
          "ref_protected",
          "pipeline_source",
          "pipeline_id",
          "job_id",
          "user_login",
          "sha",
          "environment")),
  /**
   * Azure Pipelines: {@code <trust>:<org>/<project>/<service connection>} from {@code
   * sc://org/project/name}, or {@code <trust>:<org id>/<service connection id>} from the Entra
   * subject {@code /eid1/c/pub/t/…/sc/<org id>/<connection id>}.
   */
  AZURE_DEVOPS("azure-devops", null, AzureDevOps.AUDIENCE, List.of()),
  /** Any OIDC issuer: {@code <trust>:<sub>}; the trust names the claims to record. */
  GENERIC("generic", null, null, List.of());

  /** Azure DevOps' issuers and subjects. */
  public static final class AzureDevOps {
    /** The audience of every Azure Pipelines ID token. */
    public static final String AUDIENCE = "api://AzureADTokenExchange";

    /** Issuer of older service connections: {@code https://vstoken.dev.azure.com/<org id>}. */
    public static final String VSTOKEN_HOST = "vstoken.dev.azure.com";

    static final Pattern SC = Pattern.compile("sc://([^/]+)/([^/]+)/(.+)");
    static final Pattern EID =
        Pattern.compile("/eid1/c/pub/t/([^/]+)/a/([^/]+)/sc/([^/]+)/([^/]+)");

    /** The shortest subject prefix that pins an Entra-issued token to one organisation. */
    public static final Pattern PIN = Pattern.compile("/eid1/c/pub/t/[^/]+/a/[^/]+/sc/[^/]+/.*");

    private AzureDevOps() {}
  }

  private final String wireName;
  private final String defaultIssuer;
  private final String defaultAudience;
  private final List<String> recordedClaims;

  TrustPreset(
      String wireName, String defaultIssuer, String defaultAudience, List<String> recordedClaims) {
    this.wireName = wireName;
    this.defaultIssuer = defaultIssuer;
    this.defaultAudience = defaultAudience;
    this.recordedClaims = recordedClaims;
  }

  public String wireName() {
    return wireName;
  }

  /** The issuer used when a trust of this preset names none; null when it must be given. */
  public String defaultIssuer() {
    return defaultIssuer;
  }

  /** The audience used when none is given; null when it must be given. */
  public String defaultAudience() {
    return defaultAudience;
  }

  /** The claims recorded with every lease (when the token has them). */
  public List<String> recordedClaims() {
    return recordedClaims;
  }

  public static Optional<TrustPreset> fromWire(String name) {
    if (name == null) {
      return Optional.empty();
    }
    for (TrustPreset p : values()) {
      if (p.wireName.equals(name.toLowerCase(Locale.ROOT))) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  /**
   * Maps verified claims to the identity after {@code <trust>:}.
   *
   * @return the mapped identity, or empty with {@code why} filled when the token lacks what the
   *     preset needs
   */
  Optional<String> map(String subject, Map<String, Object> claims, StringBuilder why) {
    switch (this) {
      case GITHUB -> {
        String repo = str(claims.get("repository"));
        String ref = str(claims.get("ref"));
        if (repo == null || ref == null) {
          why.append("a GitHub Actions token needs the repository and ref claims");
          return Optional.empty();
        }
        return Optional.of(repo + "@" + ref);
      }
      case GITLAB -> {
        String project = str(claims.get("project_path"));
        String ref = str(claims.get("ref"));
        if (project == null || ref == null) {
          why.append("a GitLab token needs the project_path and ref claims");
          return Optional.empty();
        }
        String type = str(claims.get("ref_type"));
        String full =
            ref.startsWith("refs/")
                ? ref
                : "tag".equals(type) ? "refs/tags/" + ref : "refs/heads/" + ref;
        return Optional.of(project + "@" + full);
      }
      case AZURE_DEVOPS -> {
        Matcher sc = AzureDevOps.SC.matcher(subject);
        if (sc.matches()) {
          return Optional.of(sc.group(1) + "/" + sc.group(2) + "/" + sc.group(3));
        }
        Matcher eid = AzureDevOps.EID.matcher(subject);
        if (eid.matches()) {
          return Optional.of(eid.group(3) + "/" + eid.group(4));
        }
        why.append(
            "the subject is neither sc://<org>/<project>/<connection> nor"
                + " /eid1/c/pub/t/…/sc/<org id>/<connection id>");
        return Optional.empty();
      }
      case GENERIC -> {
        return Optional.of(subject);
      }
      default -> throw new IllegalStateException(name());
    }
  }

  static String str(Object v) {
    if (v == null) {
      return null;
    }
    String s = String.valueOf(v);
    return s.isBlank() ? null : s;
  }
}
