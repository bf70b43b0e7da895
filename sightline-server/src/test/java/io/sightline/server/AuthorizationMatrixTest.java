package io.sightline.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.sightline.server.http.ApiRoute;
import io.sightline.store.Stores;
import io.sightline.testing.kube.FakeKubeApiServer;
import io.sightline.testing.oidc.FakeOidcIssuer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The authorization matrix: every route the server registers × every kind of caller, each a real
 * request against a real server (H2 store, the Kubernetes emulator, a trusted CI issuer). The
 * expected outcome of each pair comes from {@link #RULES}, written out here by hand, so a new route
 * without a rule fails {@link #everyRouteHasARule} with the line to add, and a route whose role is
 * loosened (or tightened) fails {@link #everyCallerGetsWhatTheRuleSays}.
 *
 * <p>Deny means 401 or 403. Allow means anything else except a 5xx (a 400 for an empty body or a
 * 404 for an absent name is the handler answering, so the caller got past authorization).
 */
class AuthorizationMatrixTest {

  /** Who calls. The four roles nest; pipeline and handle are the two non-token identities. */
  enum Caller {
    ANONYMOUS,
    READER,
    USER,
    CREATOR,
    ADMIN,
    /** A CI's OIDC ID token from a trusted issuer, permitted on the connection. */
    PIPELINE,
    /** The {@code slh_…} handle of the lease named in the path (another lease's elsewhere). */
    HANDLE
  }

  static final Set<Caller> NOBODY = EnumSet.noneOf(Caller.class);

  /** "METHOD path" → the callers that are let through. Keep in the order of the route table. */
  static final Map<String, Set<Caller>> RULES = new LinkedHashMap<>();

  /** Web UI pages that need a session: "denied" there also means sent to the sign-in page. */
  static final Set<String> SESSION_PAGES = new java.util.HashSet<>();

  static {
    // Non-API routes: probes, metrics and documents anyone may read.
    publicRoute("GET /healthz");
    publicRoute("GET /readyz");
    publicRoute("GET /metrics");
    publicRoute("GET /openapi.json");
    publicRoute("GET /.well-known/openid-configuration");
    publicRoute("GET /.well-known/jwks.json");
    // Me, tokens
    role("GET /api/v1/me", Caller.READER);
    role("POST /api/v1/tokens", Caller.ADMIN);
    role("GET /api/v1/tokens", Caller.ADMIN);
    role("DELETE /api/v1/tokens/{id}", Caller.ADMIN);
    // Connections
    role("POST /api/v1/connections", Caller.CREATOR);
    role("GET /api/v1/connections", Caller.USER);
    role("POST /api/v1/connections/probe", Caller.USER);
    role("POST /api/v1/connections/import/azure-devops", Caller.CREATOR);
    role("GET /api/v1/connections/{name}", Caller.USER);
    role("PUT /api/v1/connections/{name}", Caller.CREATOR);
    role("DELETE /api/v1/connections/{name}", Caller.CREATOR);
    role("POST /api/v1/connections/{name}/verify", Caller.USER);
    role("GET /api/v1/connections/{name}/verifications", Caller.USER);
    role("GET /api/v1/connections/{name}/namespaces", Caller.USER);
    role("POST /api/v1/connections/{name}/harden", Caller.CREATOR);
    role("GET /api/v1/connections/{name}/aks/clusters", Caller.USER);
    role("GET /api/v1/connections/{name}/aks/clusters/{resourceGroup}/{cluster}", Caller.USER);
    // Trust and pipeline permissions
    role("POST /api/v1/trust", Caller.ADMIN);
    role("GET /api/v1/trust", Caller.ADMIN);
    role("GET /api/v1/trust/{name}", Caller.ADMIN);
    role("DELETE /api/v1/trust/{name}", Caller.ADMIN);
    role("GET /api/v1/connections/{name}/pipeline-permissions", Caller.USER);
    role("PUT /api/v1/connections/{name}/pipeline-permissions", Caller.CREATOR);
    role("PATCH /api/v1/connections/{name}/pipeline-permissions", Caller.CREATOR);
    // Leases: a pipeline's ID token may only issue; a lease's handle only reads, renews, revokes it
    role("POST /api/v1/leases", Caller.USER, Caller.PIPELINE);
    role("GET /api/v1/leases", Caller.READER);
    role("GET /api/v1/leases/{id}", Caller.READER, Caller.HANDLE);
    role("DELETE /api/v1/leases/{id}", Caller.USER, Caller.HANDLE);
    // Renewing hands out a fresh credential: only the lease's holder (the user who took it) or
    // its handle, no role above takes it over. Revoking: also creators and admins.
    only("POST /api/v1/leases/{id}/renew", Caller.USER, Caller.HANDLE);
    // Audit, admin, issuer
    role("GET /api/v1/audit", Caller.READER);
    role("GET /api/v1/audit/verify", Caller.READER);
    role("POST /api/v1/admin/rotate-master-key", Caller.ADMIN);
    role("GET /api/v1/issuer", Caller.READER);
    role("POST /api/v1/admin/rotate-issuer-key", Caller.ADMIN);

    // Environments (issue 8). Writes need role user plus creator or the environment's own grant
    // (for an absent environment the handler answers 404, past authorization). Deployments are
    // requested by users or permitted pipelines; claim/finish/cancel also take the deployment's
    // claim handle, approvals are decided by the approvers a check names (role reader at least).
    role("POST /api/v1/environments", Caller.CREATOR);
    role("GET /api/v1/environments", Caller.READER);
    role("GET /api/v1/environments/{name}", Caller.READER);
    role("PUT /api/v1/environments/{name}", Caller.USER);
    role("DELETE /api/v1/environments/{name}", Caller.USER);
    role("GET /api/v1/environments/{name}/resources", Caller.READER);
    role("POST /api/v1/environments/{name}/resources", Caller.USER);
    role("DELETE /api/v1/environments/{name}/resources/{resource}", Caller.USER);
    role("GET /api/v1/environments/{name}/checks", Caller.READER);
    role("POST /api/v1/environments/{name}/checks", Caller.USER);
    role("DELETE /api/v1/environments/{name}/checks/{check}", Caller.USER);
    role("GET /api/v1/environments/{name}/resources/{resource}/deployments", Caller.READER);
    role("GET /api/v1/environments/{name}/deployments", Caller.READER);
    role("POST /api/v1/environments/{name}/deployments", Caller.USER, Caller.PIPELINE);
    role("GET /api/v1/deployments/{id}", Caller.READER);
    // Only the deployment's one-shot claim handle (sld_…) claims its lease; finishing or
    // cancelling: that handle, or a creator for someone else's deployment.
    only("POST /api/v1/deployments/{id}/claim");
    role("POST /api/v1/deployments/{id}/finish", Caller.CREATOR);
    role("POST /api/v1/deployments/{id}/cancel", Caller.CREATOR);
    role("GET /api/v1/approvals", Caller.READER);
    role("GET /api/v1/approvals/{id}", Caller.READER);
    role("POST /api/v1/approvals/{id}", Caller.READER);
    role("GET /api/v1/connections/{name}/checks", Caller.USER);
    role("POST /api/v1/connections/{name}/checks", Caller.CREATOR);
    role("DELETE /api/v1/connections/{name}/checks/{check}", Caller.CREATOR);

    // Agents (issue 9): admins manage pools, registration tokens and agents; a connection's
    // manifests are for whoever may use it. The agent's own routes take no API token, ID token
    // or handle at all: registration takes a one-time registration token, everything after a
    // short-lived proof signed by the agent's key.
    role("POST /api/v1/agent-pools/{pool}/registration-tokens", Caller.ADMIN);
    role("GET /api/v1/agents", Caller.ADMIN);
    role("GET /api/v1/agents/{id}", Caller.ADMIN);
    role("POST /api/v1/agents/{id}/disable", Caller.ADMIN);
    role("POST /api/v1/agents/{id}/enable", Caller.ADMIN);
    role("DELETE /api/v1/agents/{id}", Caller.ADMIN);
    role("GET /api/v1/connections/{name}/manifests", Caller.USER);
    publicRoute("POST /api/v1/agent/register"); // its body's registration token authenticates
    only("POST /api/v1/agent/heartbeat");
    only("POST /api/v1/agent/jobs/next");
    only("POST /api/v1/agent/jobs/{id}/result");

    // Web UI (issue 10): the sign-in pages and static files are public; every other page needs a
    // session (signed in with an API token through the form) and acts only through the /api/v1
    // routes it names in SightlineServer.uiRoutes(), whose rules are above. A bearer token alone
    // never gets a page: it is sent to sign in (or refused).
    publicRoute("GET /");
    publicRoute("GET /ui");
    publicRoute("GET /ui/sign-in");
    only("POST /ui/sign-in"); // needs the sign-in form's CSRF cookie: a bare POST is refused
    publicRoute("POST /ui/sign-out");
    publicRoute("GET /ui/static/{file}");
    for (String page :
        List.of(
            "GET /ui/connections",
            "GET /ui/connections/new",
            "POST /ui/connections/new",
            "POST /ui/connections/probe-stream",
            "GET /ui/connections/{name}",
            "POST /ui/connections/{name}/verify",
            "POST /ui/connections/{name}/verify-stream",
            "POST /ui/connections/{name}/pipeline-permissions",
            "GET /ui/connections/{name}/aks",
            "GET /ui/leases",
            "POST /ui/leases/{id}/revoke",
            "GET /ui/audit",
            "GET /ui/environments",
            "GET /ui/environments/{name}",
            "POST /ui/approvals/{id}",
            "GET /ui/agents",
            "POST /ui/agents/registration-tokens",
            "POST /ui/agents/{id}/disable",
            "POST /ui/agents/{id}/enable")) {
      SESSION_PAGES.add(page);
      RULES.put(page, NOBODY);
    }
  }

  /** Exactly {@code callers}, whatever their role's rank. */
  static void only(String key, Caller... callers) {
    EnumSet<Caller> allowed = EnumSet.noneOf(Caller.class);
    allowed.addAll(List.of(callers));
    RULES.put(key, allowed);
  }

  static void publicRoute(String key) {
    RULES.put(key, EnumSet.allOf(Caller.class));
  }

  /** The route needs {@code minimum} (and every role above it), plus the {@code extra} callers. */
  static void role(String key, Caller minimum, Caller... extra) {
    EnumSet<Caller> allowed = EnumSet.noneOf(Caller.class);
    for (Caller c : List.of(Caller.READER, Caller.USER, Caller.CREATOR, Caller.ADMIN)) {
      if (c.ordinal() >= minimum.ordinal()) {
        allowed.add(c);
      }
    }
    allowed.addAll(List.of(extra));
    RULES.put(key, allowed);
  }

  /** Bodies that make the allowed callers succeed outright rather than answer 400. */
  static final Map<String, String> BODIES =
      Map.of("POST /api/v1/leases", LeaseApiTest.body("prod", "web", 600));

  static final String ABSENT = "matrix-absent";

  @TempDir static Path tmp;
  static Harness h;
  static FakeKubeApiServer kube;
  static FakeOidcIssuer ci;
  static RouteWalker walker;
  static final Map<Caller, String> tokens = new LinkedHashMap<>();

  @BeforeAll
  static void start() throws Exception {
    kube = FakeKubeApiServer.builder().version("1.30").start();
    ci = FakeOidcIssuer.start();
    Path bundle = tmp.resolve("issuers-ca.pem");
    Files.writeString(bundle, ci.caPem(), StandardCharsets.UTF_8);
    h = new Harness(tmp);
    h.opener = Stores::open;
    h.flags.put(ServerConfig.PROBE_RATE, "100000");
    h.flags.put(ServerConfig.TRUST_CA_FILE, bundle.toString());
    h.clock.advance(Duration.between(h.clock.instant(), Instant.now()));
    h.start();
    walker = new RouteWalker(h);
    String admin = h.adminToken();
    tokens.put(Caller.ADMIN, admin);
    tokens.put(Caller.CREATOR, h.token("creator"));
    tokens.put(Caller.USER, h.token("user"));
    tokens.put(Caller.READER, h.token("reader"));
    Harness.Response r =
        walker.send(
            "POST",
            "/api/v1/connections?timeout=10s",
            admin,
            ConnectionProvisioningTest.azureBody("prod", kube.adminKubeconfig(), "web").toString());
    assertThat(r.status()).as("%s", r).isEqualTo(201);
    r = walker.send("POST", "/api/v1/trust", admin, TrustApiTest.githubTrust(ci.issuer()));
    assertThat(r.status()).as("%s", r).isEqualTo(201);
    r =
        walker.send(
            "PUT",
            "/api/v1/connections/prod/pipeline-permissions",
            admin,
            "{\"allPipelines\":true}");
    assertThat(r.status()).as("%s", r).isEqualTo(200);
    r = walker.send("POST", "/api/v1/leases", tokens.get(Caller.USER), BODIES.get(key0()));
    assertThat(r.status()).as("%s", r).isEqualTo(201);
    otherHandle = r.json().get("handle").asText();
  }

  @AfterAll
  static void stop() {
    if (h != null) {
      h.close();
    }
    if (kube != null) {
      kube.close();
    }
    if (ci != null) {
      ci.close();
    }
  }

  @Test
  @DisplayName(
      "every route the server registers has a rule in the matrix, and every rule names a route")
  void everyRouteHasARule() {
    List<String> routes = walker.routes();
    List<String> missing = new ArrayList<>();
    for (String key : routes) {
      if (!RULES.containsKey(key)) {
        String role =
            walker
                .declared(key)
                .map(r -> r.role() == null ? "none (public)" : r.role().wireName())
                .orElse("not in the ApiRoute table");
        missing.add(
            "no authorization rule for \""
                + key
                + "\" (declared role: "
                + role
                + "): add to AuthorizationMatrixTest.RULES the line  "
                + suggestedLine(key));
      }
    }
    assertThat(missing).as(String.join("\n", missing)).isEmpty();
    assertThat(RULES.keySet())
        .as("rules naming routes the server no longer registers: remove them")
        .isSubsetOf(routes);
  }

  @Test
  @DisplayName(
      "every web UI page that needs a session is a session page here, and every API route it"
          + " calls has a rule")
  void everyUiPageActsThroughRuledApiRoutes() {
    List<String> wrong = new ArrayList<>();
    for (io.sightline.server.ui.WebUi.UiRoute page : h.server.uiRoutes()) {
      String key = page.method() + " " + page.path();
      if (page.session() && !SESSION_PAGES.contains(key)) {
        wrong.add(key + " needs a session: add it to the session pages in RULES");
      }
      for (String call : page.calls()) {
        if (!RULES.containsKey(call)) {
          wrong.add(key + " calls " + call + ", which has no rule");
        }
      }
    }
    assertThat(wrong).as(String.join("\n", wrong)).isEmpty();
    assertThat(h.server.uiRoutes()).as("the UI is installed").isNotEmpty();
  }

  @Test
  @DisplayName(
      "every caller (anonymous, each role, a pipeline's ID token, a lease handle) is let through"
          + " exactly the routes its rule allows, and denied (401/403) everywhere else")
  void everyCallerGetsWhatTheRuleSays() throws Exception {
    List<String> wrong = new ArrayList<>();
    int requests = 0;
    for (String key : walker.routes()) {
      Set<Caller> allowed = RULES.getOrDefault(key, NOBODY);
      if (!RULES.containsKey(key)) {
        continue; // reported by everyRouteHasARule
      }
      for (Caller caller : Caller.values()) {
        Harness.Response r = call(key, caller);
        requests++;
        int s = r.status();
        boolean denied =
            s == 401
                || s == 403
                || (SESSION_PAGES.contains(key)
                    && s / 100 == 3
                    && r.raw().headers().firstValue("Location").orElse("").contains("/ui/sign-in"));
        if (s >= 500) {
          wrong.add(key + " as " + caller + ": server error " + brief(r));
        } else if (allowed.contains(caller) && denied) {
          wrong.add(key + " as " + caller + ": expected allow but got " + brief(r));
        } else if (!allowed.contains(caller) && !denied) {
          wrong.add(key + " as " + caller + ": expected deny (401/403) but got " + brief(r));
        }
      }
    }
    assertThat(wrong).as(String.join("\n", wrong)).isEmpty();
    assertThat(requests).isGreaterThanOrEqualTo(RULES.size() * Caller.values().length);
  }

  /** One request of {@code caller} to the route {@code key}, with fresh resources where needed. */
  static Harness.Response call(String key, Caller caller) throws Exception {
    String method = RouteWalker.method(key);
    String path = RouteWalker.path(key);
    Map<String, String> params = new LinkedHashMap<>();
    String bearer = bearer(caller);
    if (path.startsWith("/api/v1/leases/{id}")) {
      // A fresh lease per request: revoking or renewing one never spoils the next caller's.
      Harness.Response issued =
          walker.send("POST", "/api/v1/leases", tokens.get(Caller.USER), BODIES.get(key0()));
      assertThat(issued.status()).as("%s", issued).isEqualTo(201);
      params.put("id", issued.json().get("id").asText());
      if (caller == Caller.HANDLE) {
        bearer = issued.json().get("handle").asText();
      }
    } else if (method.equals("GET")) {
      // Reads go to real objects, so a handler's own checks after the lookup are exercised too.
      params.put("name", path.startsWith("/api/v1/trust") ? "github" : "prod");
    }
    String body = BODIES.get(key);
    if (body == null && RouteWalker.hasBody(method)) {
      body = "{}";
    }
    return walker.send(method, RouteWalker.fill(path, params, ABSENT), bearer, body);
  }

  private static String key0() {
    return "POST /api/v1/leases";
  }

  /** A handle of a lease no route path names: a handle must not open anything but its own lease. */
  static String otherHandle;

  /** The bearer value a caller presents (for HANDLE, a handle of an unrelated lease). */
  static String bearer(Caller caller) throws Exception {
    switch (caller) {
      case ANONYMOUS:
        return null;
      case PIPELINE:
        return ci.token(TrustApiTest.SUB, TrustApiTest.AUD, TrustApiTest.GITHUB);
      case HANDLE:
        return otherHandle;
      default:
        return tokens.get(caller);
    }
  }

  static String brief(Harness.Response r) {
    String s = r.toString();
    return s.length() > 160 ? s.substring(0, 160) + "…" : s;
  }

  private String suggestedLine(String key) {
    ApiRoute declared = walker.declared(key).orElse(null);
    if (declared == null || declared.role() == null) {
      return "publicRoute(\"" + key + "\");   (or role(...) if it must not be public)";
    }
    return "role(\"" + key + "\", Caller." + declared.role().name() + ");";
  }
}
