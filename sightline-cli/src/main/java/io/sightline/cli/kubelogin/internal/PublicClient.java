package io.sightline.cli.kubelogin.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.sightline.azure.internal.EntraErrors;
import io.sightline.cli.kubelogin.GetTokenOptions;
import io.sightline.cli.kubelogin.KubeloginException;
import io.sightline.cli.kubelogin.TokenCache;
import io.sightline.core.SecretValue;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * People's sign-ins (device code, browser with a loopback redirect and PKCE, resource-owner
 * password) as a public client speaking OAuth 2.0 to Entra directly, so that the refresh token can
 * be kept in the encrypted cache and the next sign-in after the access token expires is silent, as
 * kubelogin does with MSAL's cache. azure-identity does not hand refresh tokens out.
 */
final class PublicClient {
  private static final Logger log = LoggerFactory.getLogger(PublicClient.class);
  private static final String DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";

  private final GetTokenOptions o;
  private final SSLContext ssl;
  private final long deadline;
  private final String scheme;

  PublicClient(GetTokenOptions o, SSLContext ssl) {
    this.o = o;
    this.ssl = ssl;
    this.deadline = System.nanoTime() + o.timeout().toNanos();
    this.scheme =
        switch (o.login()) {
          case DEVICECODE -> "DeviceCode";
          case INTERACTIVE -> "Interactive";
          default -> "UsernamePassword";
        };
  }

  TokenCache.Entry fetch(TokenCache.Entry previous, PrintStream err) throws IOException {
    if (previous != null && previous.refreshToken() != null) {
      Map<String, String> form = new LinkedHashMap<>();
      form.put("grant_type", "refresh_token");
      form.put("client_id", o.clientId());
      form.put("refresh_token", previous.refreshToken().reveal());
      form.put("scope", scopes());
      Https.Answer a = post(tokenEndpoint(), form);
      if (a.status() == 200) {
        return entry(a.json(), previous.refreshToken());
      }
      // an expired or revoked refresh token: sign in again
      log.debug("refresh failed: {}", a.json().path("error").asText());
    }
    switch (o.login()) {
      case ROPC:
        return password();
      case DEVICECODE:
        return deviceCode(err);
      default:
        return browser(err);
    }
  }

  private TokenCache.Entry password() throws IOException {
    Map<String, String> form = new LinkedHashMap<>();
    form.put("grant_type", "password");
    form.put("client_id", o.clientId());
    form.put("username", o.username());
    form.put("password", o.password().reveal());
    form.put("scope", scopes());
    return answer(post(tokenEndpoint(), form));
  }

  private TokenCache.Entry deviceCode(PrintStream err) throws IOException {
    Map<String, String> start = new LinkedHashMap<>();
    start.put("client_id", o.clientId());
    start.put("scope", scopes());
    Https.Answer a = post(URI.create(tenantBase() + "/oauth2/v2.0/devicecode"), start);
    if (a.status() != 200) {
      throw failure(a.json());
    }
    JsonNode d = a.json();
    err.println(
        d.path("message")
            .asText(
                "To sign in, open "
                    + d.path("verification_uri").asText()
                    + " and enter the code "
                    + d.path("user_code").asText()));
    err.flush();
    long interval = Math.max(1, d.path("interval").asLong(5));
    Map<String, String> poll = new LinkedHashMap<>();
    poll.put("grant_type", DEVICE_GRANT);
    poll.put("client_id", o.clientId());
    poll.put("device_code", d.path("device_code").asText());
    while (true) {
      sleep(Duration.ofSeconds(interval), "the device code sign-in was not completed");
      Https.Answer p = post(tokenEndpoint(), poll);
      if (p.status() == 200) {
        return entry(p.json(), null);
      }
      String error = p.json().path("error").asText("");
      if (error.equals("authorization_pending")) {
        continue;
      }
      if (error.equals("slow_down")) {
        interval += 5;
        continue;
      }
      throw failure(p.json());
    }
  }

  private TokenCache.Entry browser(PrintStream err) throws IOException {
    byte[] verifierBytes = new byte[32];
    SecureRandom random = new SecureRandom();
    random.nextBytes(verifierBytes);
    String verifier = Base64.getUrlEncoder().withoutPadding().encodeToString(verifierBytes);
    String challenge;
    try {
      challenge =
          Base64.getUrlEncoder()
              .withoutPadding()
              .encodeToString(
                  MessageDigest.getInstance("SHA-256")
                      .digest(verifier.getBytes(StandardCharsets.US_ASCII)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    byte[] stateBytes = new byte[16];
    random.nextBytes(stateBytes);
    String state = Base64.getUrlEncoder().withoutPadding().encodeToString(stateBytes);

    URI wanted =
        o.redirectUrl() == null ? URI.create("http://localhost/") : URI.create(o.redirectUrl());
    if (!"http".equals(wanted.getScheme())
        || !(wanted.getHost().equals("localhost") || wanted.getHost().startsWith("127."))) {
      throw KubeloginException.usage(
          "--redirect-url must be a loopback http URL such as http://localhost:8400/ (got "
              + o.redirectUrl()
              + ")");
    }
    HttpServer server =
        HttpServer.create(
            new InetSocketAddress(
                InetAddress.getLoopbackAddress(), wanted.getPort() < 0 ? 0 : wanted.getPort()),
            4);
    String path = wanted.getPath() == null || wanted.getPath().isEmpty() ? "/" : wanted.getPath();
    String redirect = "http://" + wanted.getHost() + ":" + server.getAddress().getPort() + path;
    CompletableFuture<Map<String, String>> answer = new CompletableFuture<>();
    server.createContext(
        path,
        ex -> {
          Map<String, String> q = query(ex.getRequestURI().getRawQuery());
          boolean ok = state.equals(q.get("state")) && q.containsKey("code");
          byte[] page =
              (ok
                      ? "<html><body>Signed in. You can close this window and return to the"
                          + " terminal.</body></html>"
                      : "<html><body>Sign-in failed: "
                          + esc(q.getOrDefault("error_description", "no code in the answer"))
                          + "</body></html>")
                  .getBytes(StandardCharsets.UTF_8);
          ex.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
          ex.sendResponseHeaders(ok ? 200 : 400, page.length);
          try (OutputStream out = ex.getResponseBody()) {
            out.write(page);
          }
          if (state.equals(q.get("state")) || q.containsKey("error")) {
            answer.complete(q);
          }
        });
    server.start();
    try {
      Map<String, String> auth = new LinkedHashMap<>();
      auth.put("client_id", o.clientId());
      auth.put("response_type", "code");
      auth.put("redirect_uri", redirect);
      auth.put("response_mode", "query");
      auth.put("scope", scopes());
      auth.put("state", state);
      auth.put("code_challenge", challenge);
      auth.put("code_challenge_method", "S256");
      String url = tenantBase() + "/oauth2/v2.0/authorize?" + Https.form(auth);
      err.println("To sign in, open this address in a browser: " + url);
      err.flush();
      openBrowser(o.env(), url, err);
      Map<String, String> q;
      try {
        q = answer.get(remainingMillis(), TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        throw KubeloginException.failed(
            "the browser sign-in was not completed within "
                + o.timeout().toSeconds()
                + " s: open the address above, or raise --timeout");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw KubeloginException.failed("the browser sign-in was interrupted");
      } catch (java.util.concurrent.ExecutionException e) {
        throw new IllegalStateException(e.getCause());
      }
      if (!q.containsKey("code")) {
        throw failure(
            Https.JSON
                .createObjectNode()
                .put("error", q.getOrDefault("error", "access_denied"))
                .put("error_description", q.getOrDefault("error_description", "")));
      }
      Map<String, String> form = new LinkedHashMap<>();
      form.put("grant_type", "authorization_code");
      form.put("client_id", o.clientId());
      form.put("code", q.get("code"));
      form.put("redirect_uri", redirect);
      form.put("code_verifier", verifier);
      form.put("scope", scopes());
      return answer(post(tokenEndpoint(), form));
    } finally {
      server.stop(0);
    }
  }

  /** Opens the address with {@code $BROWSER}, else {@code xdg-open} when there is a display. */
  private static void openBrowser(Map<String, String> env, String url, PrintStream err) {
    String browser = env.get("BROWSER");
    String cmd = browser != null && !browser.isBlank() ? browser.trim() : null;
    if (cmd == null && (env.get("DISPLAY") != null || env.get("WAYLAND_DISPLAY") != null)) {
      cmd = "xdg-open";
    }
    if (cmd == null) {
      return;
    }
    try {
      new ProcessBuilder(cmd, url)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .redirectError(ProcessBuilder.Redirect.DISCARD)
          .start();
    } catch (IOException e) {
      err.println("(could not start " + cmd + ": open the address yourself)");
    }
  }

  private TokenCache.Entry answer(Https.Answer a) {
    if (a.status() != 200) {
      throw failure(a.json());
    }
    return entry(a.json(), null);
  }

  private TokenCache.Entry entry(JsonNode t, SecretValue previousRefresh) {
    String access = t.path("access_token").asText("");
    if (access.isEmpty()) {
      throw KubeloginException.failed("Entra's token answer holds no access_token");
    }
    String refresh = t.path("refresh_token").asText("");
    return new TokenCache.Entry(
        SecretValue.of(access),
        Instant.now().plusSeconds(t.path("expires_in").asLong(3600)),
        refresh.isEmpty() ? previousRefresh : SecretValue.of(refresh));
  }

  private RuntimeException failure(JsonNode json) {
    String description = json.path("error_description").asText("");
    String error = json.path("error").asText("error");
    String who = "client " + o.clientId() + " in tenant " + o.tenantId();
    if (description.isEmpty()) {
      return EntraErrors.failed(
          "Entra ID sign-in (" + scheme + ", " + who + ") failed: " + error, null);
    }
    return EntraErrors.map(new RuntimeException(description), scheme, who);
  }

  private Https.Answer post(URI url, Map<String, String> form) throws IOException {
    try {
      return Https.send(
          ssl, "POST", url, Map.of(), Https.form(form), Duration.ofMillis(remainingMillis()));
    } catch (java.net.SocketTimeoutException e) {
      throw KubeloginException.failed(
          "Entra ID sign-in ("
              + scheme
              + ") failed: "
              + o.authority()
              + " did not answer within "
              + o.timeout().toSeconds()
              + " s — check that the authority host is reachable, or raise --timeout");
    }
  }

  private long remainingMillis() {
    long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
    if (left <= 0) {
      throw KubeloginException.failed(
          "Entra ID sign-in ("
              + scheme
              + ") did not finish within "
              + o.timeout().toSeconds()
              + " s: raise --timeout");
    }
    return left;
  }

  private void sleep(Duration d, String what) {
    long left = remainingMillis();
    if (left <= d.toMillis()) {
      throw KubeloginException.failed(
          what + " within " + o.timeout().toSeconds() + " s: sign in sooner, or raise --timeout");
    }
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw KubeloginException.failed("interrupted");
    }
  }

  private String scopes() {
    return o.scope() + " offline_access openid profile";
  }

  private String tenantBase() {
    return o.authority() + "/" + o.tenantId();
  }

  private URI tokenEndpoint() {
    return URI.create(tenantBase() + "/oauth2/v2.0/token");
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> q = new LinkedHashMap<>();
    if (raw == null) {
      return q;
    }
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      String k = eq < 0 ? pair : pair.substring(0, eq);
      String v = eq < 0 ? "" : pair.substring(eq + 1);
      q.put(
          java.net.URLDecoder.decode(k, StandardCharsets.UTF_8),
          java.net.URLDecoder.decode(v, StandardCharsets.UTF_8));
    }
    return q;
  }

  private static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
