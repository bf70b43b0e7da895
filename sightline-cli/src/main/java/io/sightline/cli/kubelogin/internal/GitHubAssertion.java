package io.sightline.cli.kubelogin.internal;

import io.sightline.core.SightlineException;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;

/**
 * GitHub Actions' OIDC token, asked for afresh on every sign-in ({@code
 * ACTIONS_ID_TOKEN_REQUEST_URL} with {@code audience=api://AzureADTokenExchange}, bearer {@code
 * ACTIONS_ID_TOKEN_REQUEST_TOKEN}): GitHub's tokens live about 5 minutes, so a long job never
 * presents an expired assertion.
 */
final class GitHubAssertion implements Supplier<String> {
  static final String AUDIENCE = "api://AzureADTokenExchange";

  private final String url;
  private final String requestToken;
  private final SSLContext ssl;
  private final Duration timeout;

  GitHubAssertion(Map<String, String> env, SSLContext ssl, Duration timeout) {
    this.url = env.get("ACTIONS_ID_TOKEN_REQUEST_URL").trim();
    this.requestToken = env.get("ACTIONS_ID_TOKEN_REQUEST_TOKEN").trim();
    this.ssl = ssl;
    this.timeout = timeout;
  }

  @Override
  public String get() {
    URI uri = URI.create(url + (url.contains("?") ? "&" : "?") + "audience=" + Https.enc(AUDIENCE));
    Https.Answer a;
    try {
      a =
          Https.send(
              ssl,
              "GET",
              uri,
              Map.of(
                  "Authorization",
                  "bearer " + requestToken,
                  "Accept",
                  "application/json; api-version=2.0"),
              null,
              timeout);
    } catch (IOException e) {
      throw failed(
          "GitHub's OIDC token request to "
              + uri.getScheme()
              + "://"
              + uri.getAuthority()
              + " failed ("
              + e.getClass().getSimpleName()
              + "): check ACTIONS_ID_TOKEN_REQUEST_URL");
    }
    String value = a.json().path("value").asText("");
    if (a.status() != 200 || value.isEmpty()) {
      throw failed(
          "GitHub's OIDC token request answered HTTP "
              + a.status()
              + " without a token: give the job `permissions: id-token: write`");
    }
    return value;
  }

  private static SightlineException failed(String detail) {
    return new SightlineException("ENTRA_AUTH_FAILED", 502, null, detail, null, null);
  }
}
