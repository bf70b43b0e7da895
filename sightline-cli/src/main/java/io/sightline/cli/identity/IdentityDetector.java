package io.sightline.cli.identity;

import io.sightline.core.SecretValue;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the identity a CI job runs as, in this order: an explicit {@code --id-token-file}; GitHub
 * Actions ({@code ACTIONS_ID_TOKEN_REQUEST_URL} + {@code _TOKEN}); GitLab ({@code
 * SIGHTLINE_ID_TOKEN}, declared under {@code id_tokens:}); Azure Pipelines ({@code
 * SYSTEM_OIDCREQUESTURI} + {@code SYSTEM_ACCESSTOKEN} with a service connection id); else a
 * Sightline API token ({@code SIGHTLINE_TOKEN} or the {@code sightline login} config).
 */
public final class IdentityDetector {
  /** Options from the command line; null when not given. */
  public record Options(String idTokenFile, String audience, String azureServiceConnection) {}

  private static final Duration TIMEOUT = Duration.ofSeconds(20);
  private static final Pattern VALUE =
      Pattern.compile("\"(value|oidcToken)\"\\s*:\\s*\"([^\"]+)\"");

  private final Map<String, String> env;
  private final Supplier<String> apiToken;

  /**
   * @param env the environment
   * @param apiToken the Sightline API token for the server in use ({@code SIGHTLINE_TOKEN} or the
   *     login config), or null
   */
  public IdentityDetector(Map<String, String> env, Supplier<String> apiToken) {
    this.env = env;
    this.apiToken = apiToken;
  }

  public PipelineIdentity detect(Options o) {
    if (o.idTokenFile() != null) {
      return fromFile(Path.of(o.idTokenFile()));
    }
    if (present("ACTIONS_ID_TOKEN_REQUEST_URL") && present("ACTIONS_ID_TOKEN_REQUEST_TOKEN")) {
      return gitHub(o.audience());
    }
    if (present("SIGHTLINE_ID_TOKEN")) {
      return new PipelineIdentity(
          "GitLab ID token from $SIGHTLINE_ID_TOKEN (id_tokens:)",
          SecretValue.of(env.get("SIGHTLINE_ID_TOKEN").strip()),
          true);
    }
    if (present("SYSTEM_OIDCREQUESTURI") && present("SYSTEM_ACCESSTOKEN")) {
      if (o.azureServiceConnection() != null) {
        return azure(o.azureServiceConnection());
      }
      if (!hasApiToken()) {
        throw new IdentityException(
            "this is Azure Pipelines, but its ID token needs the Azure DevOps service connection"
                + " it is issued for: pass --azure-devops-service-connection <id> (the connection's"
                + " id in Azure DevOps), or set SIGHTLINE_TOKEN to a Sightline API token");
      }
    }
    if (hasApiToken()) {
      String source =
          present("SIGHTLINE_TOKEN")
              ? "Sightline API token from $SIGHTLINE_TOKEN"
              : "Sightline API token from `sightline login`";
      return new PipelineIdentity(source, SecretValue.of(apiToken.get().strip()), false);
    }
    throw new IdentityException(
        "no pipeline identity found: run in GitHub Actions with `permissions: id-token: write`,"
            + " in GitLab with `id_tokens: SIGHTLINE_ID_TOKEN: {aud: ...}`, in Azure Pipelines"
            + " with --azure-devops-service-connection, pass --id-token-file, or set"
            + " SIGHTLINE_TOKEN (or run `sightline login`)");
  }

  private boolean hasApiToken() {
    String t = apiToken.get();
    return t != null && !t.isBlank();
  }

  private PipelineIdentity fromFile(Path file) {
    try {
      String token = Files.readString(file, StandardCharsets.UTF_8).strip();
      if (token.isEmpty()) {
        throw new IdentityException("--id-token-file " + file + " is empty");
      }
      return new PipelineIdentity("ID token from " + file, SecretValue.of(token), true);
    } catch (IOException e) {
      throw new IdentityException(
          "cannot read --id-token-file " + file + " (" + e.getClass().getSimpleName() + ")");
    }
  }

  private PipelineIdentity gitHub(String audience) {
    String url = env.get("ACTIONS_ID_TOKEN_REQUEST_URL").strip();
    url +=
        (url.contains("?") ? "&" : "?")
            + "audience="
            + URLEncoder.encode(audience, StandardCharsets.UTF_8);
    Request request =
        new Request(
            "GET",
            uri(url, "ACTIONS_ID_TOKEN_REQUEST_URL"),
            "bearer " + env.get("ACTIONS_ID_TOKEN_REQUEST_TOKEN").strip());
    String token =
        fetch(
            request,
            "GitHub Actions",
            "does the workflow (or job) have `permissions: id-token: write`?");
    return new PipelineIdentity(
        "GitHub Actions ID token (audience " + audience + ")", SecretValue.of(token), true);
  }

  private PipelineIdentity azure(String serviceConnection) {
    String url = env.get("SYSTEM_OIDCREQUESTURI").strip();
    url +=
        (url.contains("?") ? "&" : "?")
            + "api-version=7.1&serviceConnectionId="
            + URLEncoder.encode(serviceConnection, StandardCharsets.UTF_8);
    Request request =
        new Request(
            "POST",
            uri(url, "SYSTEM_OIDCREQUESTURI"),
            "Bearer " + env.get("SYSTEM_ACCESSTOKEN").strip());
    String token =
        fetch(
            request,
            "Azure Pipelines",
            "is SYSTEM_ACCESSTOKEN mapped into the step's env, and is "
                + serviceConnection
                + " a workload-identity service connection this pipeline may use?");
    return new PipelineIdentity(
        "Azure Pipelines ID token for service connection " + serviceConnection,
        SecretValue.of(token),
        true);
  }

  private record Request(String method, URI uri, String authorization) {}

  private static String fetch(Request request, String ci, String hint) {
    int status;
    String body;
    try {
      // HttpURLConnection: no selector thread left in native code to delay the JVM's exit
      HttpURLConnection c = (HttpURLConnection) request.uri().toURL().openConnection();
      c.setConnectTimeout((int) TIMEOUT.toMillis());
      c.setReadTimeout((int) TIMEOUT.toMillis());
      c.setRequestMethod(request.method());
      c.setRequestProperty("Authorization", request.authorization());
      c.setRequestProperty("Accept", "application/json");
      if (request.method().equals("POST")) {
        c.setRequestProperty("Content-Type", "application/json");
        c.setDoOutput(true);
        c.setFixedLengthStreamingMode(0);
        c.getOutputStream().close();
      }
      status = c.getResponseCode();
      try (InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream()) {
        body = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
    } catch (IOException e) {
      throw new IdentityException(
          "cannot get the "
              + ci
              + " ID token from "
              + request.uri().getHost()
              + " ("
              + e.getClass().getSimpleName()
              + ")");
    }
    if (status != 200) {
      throw new IdentityException(
          ci + " refused the ID token request (HTTP " + status + "): " + hint);
    }
    Matcher m = VALUE.matcher(body);
    if (!m.find()) {
      throw new IdentityException(
          ci + "'s ID token endpoint answered without a token (HTTP 200): " + hint);
    }
    return m.group(2);
  }

  private boolean present(String name) {
    String v = env.get(name);
    return v != null && !v.isBlank();
  }

  private static URI uri(String url, String var) {
    try {
      return URI.create(url);
    } catch (IllegalArgumentException e) {
      throw new IdentityException("$" + var + " is not a URL");
    }
  }
}
