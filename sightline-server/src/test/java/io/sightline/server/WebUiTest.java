package io.sightline.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.sightline.store.Stores;
import io.sightline.testing.kube.FakeKubeApiServer;
import java.net.CookieManager;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The web UI over HTTP as a browser without scripts sees it: sign-in, sessions, CSRF, the
 * connection wizard and its live probe stream, write-only secrets, escaping, 404s.
 */
class WebUiTest {
  private static final String CANARY = "canary-7f3a9c1e5b";
  private static FakeKubeApiServer kube;

  @TempDir static Path tmp;
  static Harness h;
  Browser browser;

  @BeforeAll
  static void start() {
    kube = FakeKubeApiServer.builder().version("1.30").start();
    kube.createObject(
        "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"web\"}}");
    kube.addStaticToken(CANARY, "canary-user", "system:masters");
    h = new Harness(tmp);
    h.opener = Stores::open;
    h.flags.put(ServerConfig.PROBE_RATE, "10000");
    h.start();
  }

  @AfterAll
  static void stop() {
    h.close();
    kube.close();
  }

  /** Each test is a browser of its own (its own cookies) on the class's one server. */
  @BeforeEach
  void newBrowser() {
    browser = new Browser(h.server.url());
  }

  /** A cookie-keeping client that does not follow redirects (tests look at them). */
  static final class Browser {
    final String base;
    final HttpClient http;

    Browser(String base) {
      this.base = base;
      this.http =
          HttpClient.newBuilder()
              .cookieHandler(new CookieManager())
              .followRedirects(HttpClient.Redirect.NEVER)
              .connectTimeout(Duration.ofSeconds(5))
              .build();
    }

    HttpResponse<String> get(String path) throws Exception {
      return http.send(
          HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(20)).build(),
          HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> post(String path, Map<String, String> form) throws Exception {
      String body =
          form.entrySet().stream()
              .map(
                  e ->
                      URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8)
                          + "="
                          + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
              .collect(Collectors.joining("&"));
      return http.send(
          HttpRequest.newBuilder(URI.create(base + path))
              .timeout(Duration.ofSeconds(20))
              .header("Content-Type", "application/x-www-form-urlencoded")
              .POST(HttpRequest.BodyPublishers.ofString(body))
              .build(),
          HttpResponse.BodyHandlers.ofString());
    }

    static String csrf(String page) {
      Matcher m = Pattern.compile("name=\"csrf\" value=\"([^\"]+)\"").matcher(page);
      assertThat(m.find()).as("the page has a CSRF field").isTrue();
      return m.group(1);
    }

    /** Signs in with {@code token} through the form; returns the page's CSRF token. */
    String signIn(String token) throws Exception {
      String csrf = csrf(get("/").body());
      HttpResponse<String> r = post("/ui/sign-in", Map.of("csrf", csrf, "token", token));
      assertThat(r.statusCode()).as(r.body()).isEqualTo(303);
      return csrf(get("/ui/connections").body());
    }
  }

  private static Map<String, String> form(String... kv) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put(kv[i], kv[i + 1]);
    }
    return m;
  }

  @Test
  void theSignInFormIsInTheServersHtmlAndASessionCookieIsHttpOnlyAndStrict() throws Exception {
    HttpResponse<String> home = browser.get("/");
    assertThat(home.statusCode()).isEqualTo(200);
    assertThat(home.headers().firstValue("Content-Type").orElse("")).startsWith("text/html");
    assertThat(home.body()).contains("<form method=\"post\" action=\"/ui/sign-in\"");
    assertThat(home.body()).contains("type=\"password\" id=\"token\" name=\"token\"");
    assertThat(home.headers().firstValue("Content-Security-Policy").orElse(""))
        .contains("script-src 'self'");

    String csrf = Browser.csrf(home.body());
    HttpResponse<String> r =
        browser.post("/ui/sign-in", form("csrf", csrf, "token", h.adminToken()));
    assertThat(r.statusCode()).isEqualTo(303);
    assertThat(r.headers().firstValue("Location")).contains("/ui/connections");
    String cookie =
        r.headers().allValues("Set-Cookie").stream()
            .filter(c -> c.startsWith("sightline_session=sls_"))
            .findFirst()
            .orElseThrow();
    assertThat(cookie).contains("HttpOnly").contains("SameSite=Strict").contains("Max-Age=");
    assertThat(cookie).doesNotContain("Secure"); // plain http on loopback

    HttpResponse<String> list = browser.get("/ui/connections");
    assertThat(list.statusCode()).isEqualTo(200);
    assertThat(list.body()).contains("admin (admin)").contains("New connection");
    assertThat(list.body()).doesNotContain(h.adminToken());
    assertThat(h.get("/api/v1/audit?action=ui.signin", h.adminToken()).body())
        .contains("\"actor\":\"admin\"");
  }

  @Test
  void aWrongTokenIsRefusedVaguelyAndASignInWithoutItsCsrfCookieValueIsRefused() throws Exception {
    String csrf = Browser.csrf(browser.get("/").body());
    HttpResponse<String> bad = browser.post("/ui/sign-in", form("csrf", csrf, "token", "slt_nope"));
    assertThat(bad.statusCode()).isEqualTo(401);
    assertThat(bad.body()).contains("not valid (unknown, expired or revoked)");
    HttpResponse<String> forged =
        browser.post("/ui/sign-in", form("csrf", "x".repeat(43), "token", h.adminToken()));
    assertThat(forged.statusCode()).isEqualTo(403);
    assertThat(forged.headers().allValues("Set-Cookie"))
        .noneMatch(c -> c.startsWith("sightline_session=sls_"));
  }

  @Test
  void signedOutPagesRedirectToSignInAndComeBackAfterwards() throws Exception {
    HttpResponse<String> r = browser.get("/ui/leases?state=all");
    assertThat(r.statusCode()).isEqualTo(303);
    assertThat(r.headers().firstValue("Location").orElseThrow())
        .isEqualTo("/ui/sign-in?next=%2Fui%2Fleases%3Fstate%3Dall");
    String page = browser.get("/ui/sign-in?next=%2Fui%2Fleases%3Fstate%3Dall").body();
    HttpResponse<String> in =
        browser.post(
            "/ui/sign-in",
            form(
                "csrf",
                Browser.csrf(page),
                "token",
                h.adminToken(),
                "next",
                "/ui/leases?state=all"));
    assertThat(in.headers().firstValue("Location")).contains("/ui/leases?state=all");
    assertThat(
            browser
                .post(
                    "/ui/sign-in",
                    form(
                        "csrf",
                        Browser.csrf(browser.get("/ui/sign-in").body()),
                        "token",
                        h.adminToken(),
                        "next",
                        "//evil.example/ui/"))
                .headers()
                .firstValue("Location"))
        .contains("/ui/connections");
  }

  @Test
  void formsWithoutTheSessionsCsrfTokenAreRefusedAndSignOutEndsTheSession() throws Exception {
    String csrf = browser.signIn(h.adminToken());
    HttpResponse<String> forged =
        browser.post("/ui/connections/new", form("kind", "kubernetes", "type", "Kubeconfig"));
    assertThat(forged.statusCode()).isEqualTo(403);
    assertThat(forged.body()).contains("This form was refused");
    HttpResponse<String> wrong =
        browser.post(
            "/ui/connections/new", form("csrf", csrf + "x", "kind", "kubernetes", "type", "X"));
    assertThat(wrong.statusCode()).isEqualTo(403);

    assertThat(browser.post("/ui/sign-out", form("csrf", csrf)).statusCode()).isEqualTo(303);
    assertThat(browser.get("/ui/connections").statusCode()).isEqualTo(303);
  }

  @Test
  void revokingTheApiTokenEndsItsSessions() throws Exception {
    var created =
        h.post("/api/v1/tokens", h.adminToken(), "{\"name\":\"bob\",\"role\":\"user\"}").json();
    browser.signIn(created.get("token").asText());
    assertThat(browser.get("/ui/connections").body()).contains("bob (user)");
    h.delete("/api/v1/tokens/" + created.get("id").asText(), h.adminToken());
    assertThat(browser.get("/ui/connections").statusCode()).isEqualTo(303);
  }

  @Test
  void aReaderStartsOnTheLeasesAndSeesTheApisRoleProblemOnTheConnections() throws Exception {
    String page = browser.get("/").body();
    HttpResponse<String> in =
        browser.post("/ui/sign-in", form("csrf", Browser.csrf(page), "token", h.token("reader")));
    assertThat(in.headers().firstValue("Location")).contains("/ui/leases");
    HttpResponse<String> r = browser.get("/ui/connections");
    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(r.body()).contains("ROLE_REQUIRED").contains("this needs the user role");
  }

  @Test
  void aKubeconfigConnectionIsProbedSavedAndShownWithoutItsSecret() throws Exception {
    String csrf = browser.signIn(h.adminToken());
    String kubeconfig = kube.kubeconfigForToken(CANARY);
    assertThat(kubeconfig).contains(CANARY);

    HttpResponse<String> probed =
        browser.post(
            "/ui/connections/new",
            form(
                "csrf",
                csrf,
                "kind",
                "kubernetes",
                "type",
                "Kubeconfig",
                "name",
                "dev",
                "description",
                "<script>alert(1)</script>",
                "kubeconfig",
                kubeconfig,
                "action",
                "probe"));
    assertThat(probed.statusCode()).as(probed.body()).isEqualTo(200);
    assertThat(probed.body())
        .contains("Reached the cluster")
        .contains("<span class=\"ns\">web</span>");
    assertThat(probed.body()).contains("&lt;script&gt;alert(1)&lt;/script&gt;");
    assertThat(probed.body()).doesNotContain("<script>alert").doesNotContain(CANARY);
    assertThat(probed.body()).contains("type them again to save");

    HttpResponse<String> saved =
        browser.post(
            "/ui/connections/new",
            form(
                "csrf",
                csrf,
                "kind",
                "kubernetes",
                "type",
                "Kubeconfig",
                "name",
                "dev",
                "kubeconfig",
                kubeconfig,
                "action",
                "save"));
    assertThat(saved.statusCode()).as(saved.body()).isEqualTo(303);
    assertThat(saved.headers().firstValue("Location"))
        .contains("/ui/connections/dev?notice=created");
    HttpResponse<String> detail = browser.get("/ui/connections/dev?notice=created");
    assertThat(detail.body())
        .contains("Connection dev")
        .contains("•••••••• (set; write-only)")
        .contains("The connection is saved.")
        .doesNotContain(CANARY);
    HttpResponse<String> list = browser.get("/ui/connections");
    assertThat(list.body()).contains("data-connection=\"dev\"").contains("verified");

    HttpResponse<String> permitted =
        browser.post(
            "/ui/connections/dev/pipeline-permissions",
            form("csrf", csrf, "pipelines", "github:org/app@refs/heads/main\n"));
    assertThat(permitted.statusCode()).as(permitted.body()).isEqualTo(303);
    assertThat(h.get("/api/v1/connections/dev/pipeline-permissions", h.adminToken()).body())
        .contains("github:org/app@refs/heads/main");
    assertThat(browser.get("/ui/connections/dev").body())
        .contains("<code>github:org/app@refs/heads/main</code>");
    HttpResponse<String> refused =
        browser.post(
            "/ui/connections/dev/pipeline-permissions",
            form("csrf", csrf, "pipelines", "not a pattern"));
    assertThat(refused.statusCode()).isEqualTo(400);
    assertThat(refused.body()).contains("pipelines");
    HttpResponse<String> streamed =
        browser.post("/ui/connections/dev/verify-stream", form("csrf", csrf));
    assertThat(streamed.body())
        .contains("{\"type\":\"ended\",\"step\":\"authenticate\",\"status\":\"ok\"")
        .contains("Reached the cluster")
        .doesNotContain(CANARY);
    HttpResponse<String> verified = browser.post("/ui/connections/dev/verify", form("csrf", csrf));
    assertThat(verified.body())
        .contains("Reached the cluster")
        .contains("web")
        .doesNotContain(CANARY);
  }

  @Test
  void aFailedSaveShowsTheDiagnosisAndNeverEchoesTheSecret() throws Exception {
    String csrf = browser.signIn(h.adminToken());
    String kubeconfig =
        kube.kubeconfigForToken(CANARY)
            .replace(kube.url().toString(), "https://127.0.0.1:" + closedPort());
    HttpResponse<String> r =
        browser.post(
            "/ui/connections/new",
            form(
                "csrf",
                csrf,
                "kind",
                "kubernetes",
                "type",
                "Kubeconfig",
                "name",
                "down",
                "kubeconfig",
                kubeconfig,
                "timeout",
                "3",
                "action",
                "save"));
    assertThat(r.statusCode()).isEqualTo(422);
    assertThat(r.body())
        .contains("VERIFICATION_FAILED")
        .contains("CONNECTION_REFUSED")
        .contains("Save without verification")
        .contains("new azurerm connection")
        .doesNotContain(CANARY);
    HttpResponse<String> unverified =
        browser.post(
            "/ui/connections/new",
            form(
                "csrf",
                csrf,
                "kind",
                "kubernetes",
                "type",
                "Kubeconfig",
                "name",
                "down",
                "kubeconfig",
                kubeconfig,
                "action",
                "save-unverified"));
    assertThat(unverified.statusCode()).isEqualTo(303);
    assertThat(browser.get("/ui/connections/down").body())
        .contains("not verified")
        .doesNotContain(CANARY);
  }

  @Test
  void theProbeStreamSendsEachStepAsItHappensThenTheResult() throws Exception {
    String csrf = browser.signIn(h.adminToken());
    HttpResponse<String> r =
        browser.post(
            "/ui/connections/probe-stream",
            form(
                "csrf",
                csrf,
                "kind",
                "kubernetes",
                "type",
                "Kubeconfig",
                "name",
                "dev",
                "kubeconfig",
                kube.kubeconfigForToken(CANARY),
                "action",
                "probe"));
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type").orElse(""))
        .startsWith("application/x-ndjson");
    String[] lines = r.body().split("\n");
    assertThat(lines[0]).contains("\"type\":\"started\"");
    assertThat(r.body())
        .contains("{\"type\":\"ended\",\"step\":\"tls\",\"status\":\"ok\"")
        .contains("{\"type\":\"ended\",\"step\":\"namespaces\",\"status\":\"ok\"")
        .doesNotContain(CANARY);
    assertThat(lines[lines.length - 1])
        .startsWith("{\"type\":\"result\"")
        .contains("Reached the cluster");
  }

  @Test
  void unknownUiPathsAnswerAnHtml404AndApiPathsKeepProblemJson() throws Exception {
    HttpResponse<String> r = browser.get("/ui/nothing-here");
    assertThat(r.statusCode()).isEqualTo(404);
    assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/html");
    assertThat(r.body()).contains("Page not found");
    HttpResponse<String> api = browser.get("/api/v1/nothing");
    assertThat(api.statusCode()).isEqualTo(404);
    assertThat(api.headers().firstValue("Content-Type").orElse("")).contains("problem+json");
  }

  @Test
  void theLeasesAndAuditPagesShowTheirDataAndTheChainStatus() throws Exception {
    browser.signIn(h.adminToken());
    HttpResponse<String> audit = browser.get("/ui/audit?action=ui.signin");
    assertThat(audit.statusCode()).isEqualTo(200);
    assertThat(audit.body()).contains("The audit chain verifies.").contains("ui.signin");
    HttpResponse<String> bad = browser.get("/ui/audit?since=yesterday");
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(bad.body()).contains("since");
    HttpResponse<String> leases = browser.get("/ui/leases?state=all");
    assertThat(leases.statusCode()).isEqualTo(200);
    assertThat(leases.body()).contains("No leases here.");
  }

  @Test
  void everyUiRouteSaysWhichApiRoutesItCalls() {
    assertThat(h.server.uiRoutes())
        .extracting(r -> r.method() + " " + r.path())
        .contains("GET /ui/connections", "POST /ui/connections/new", "POST /ui/leases/{id}/revoke");
    var api =
        h.server.apiRoutes().stream()
            .map(r -> r.method().name() + " " + r.path())
            .collect(Collectors.toSet());
    assertThat(h.server.uiRoutes()).allSatisfy(r -> assertThat(api).containsAll(r.calls()));
    var listed =
        h.server.uiRoutes().stream()
            .map(r -> r.method() + " " + r.path())
            .collect(Collectors.toSet());
    assertThat(h.server.registeredHandlers())
        .filteredOn(s -> s.contains(" /ui") || s.endsWith(" /"))
        .as("every UI handler is listed for the authorization matrix")
        .allSatisfy(s -> assertThat(listed).contains(s));
  }

  private static int closedPort() throws Exception {
    try (var s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
