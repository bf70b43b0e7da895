package io.sightline.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.sightline.store.Stores;
import io.sightline.testing.kube.FakeKubeApiServer;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The environment and agent pages over HTTP: decisions go through the approval route's rules (the
 * requester may not approve when the check says so; a group member may reject with a comment), and
 * an agent registration token is shown once.
 */
class WebUiEnvironmentsTest {
  @TempDir static Path tmp;
  static FakeKubeApiServer kube;
  static Harness h;

  @BeforeAll
  static void start() throws Exception {
    kube = FakeKubeApiServer.builder().version("1.30").start();
    h = new Harness(tmp);
    h.opener = Stores::open;
    h.clock.advance(Duration.between(h.clock.instant(), Instant.now()));
    h.start();
    Harness.Response c =
        h.post(
            "/api/v1/connections?verify=false",
            h.adminToken(),
            ConnectionsApiTest.kubeconfigBody("cluster", kube.adminKubeconfig()).toString());
    assertThat(c.status()).as(c.body()).isEqualTo(201);
  }

  @AfterAll
  static void stop() {
    h.close();
    kube.close();
  }

  @Test
  void theRequesterMayNotApproveButAnApproverOfTheGroupRejectsWithAComment() throws Exception {
    String admin = h.adminToken();
    assertThat(
            h.post(
                    "/api/v1/environments",
                    admin,
                    "{\"name\":\"staging\",\"resources\":[{\"name\":\"web\",\"target\":"
                        + "{\"connection\":\"cluster\",\"namespace\":\"web\"}}]}")
                .status())
        .isEqualTo(201);
    assertThat(
            h.post(
                    "/api/v1/environments/staging/checks",
                    admin,
                    "{\"type\":\"approval\",\"approvers\":[\"admin\",\"group:ops\"],"
                        + "\"requesterCannotApprove\":true}")
                .status())
        .isEqualTo(201);
    Harness.Response d =
        h.post("/api/v1/environments/staging/deployments", admin, "{\"resource\":\"web\"}");
    assertThat(d.status()).as(d.body()).isEqualTo(201);
    String deployment = d.json().get("id").asText();

    WebUiTest.Browser requester = new WebUiTest.Browser(h.server.url());
    String csrf = requester.signIn(admin);
    String page = requester.get("/ui/environments/staging").body();
    assertThat(page).contains("data-approval=").contains("(not the requester)");
    String approval = page.replaceAll("(?s).*data-approval=\"([^\"]+)\".*", "$1");
    HttpResponse<String> own =
        requester.post(
            "/ui/approvals/" + approval,
            Map.of("csrf", csrf, "decision", "approve", "comment", "mine"));
    assertThat(own.statusCode()).isBetween(400, 499);
    assertThat(own.body()).contains("class=\"problem\"").contains("REQUESTER_CANNOT_APPROVE");

    Harness.Response bobToken =
        h.post(
            "/api/v1/tokens", admin, "{\"name\":\"bob\",\"role\":\"reader\",\"groups\":[\"ops\"]}");
    WebUiTest.Browser bob = new WebUiTest.Browser(h.server.url());
    String bobCsrf = bob.signIn(bobToken.json().get("token").asText());
    HttpResponse<String> rejected =
        bob.post(
            "/ui/approvals/" + approval + "?back=%2Fui%2Fenvironments%2Fstaging",
            Map.of("csrf", bobCsrf, "decision", "reject", "comment", "not during the freeze"));
    assertThat(rejected.statusCode()).as(rejected.body()).isEqualTo(303);
    assertThat(rejected.headers().firstValue("Location"))
        .contains("/ui/environments/staging?notice=decided");
    String after = bob.get("/ui/environments/staging").body();
    assertThat(after).contains("Nothing waits for approval.");
    assertThat(after).contains("data-deployment=\"" + deployment + "\"").contains("rejected");
    assertThat(h.get("/api/v1/audit?limit=500", admin).body()).contains("not during the freeze");
    assertThat(bob.get("/ui/environments").body()).contains("data-environment=\"staging\"");
  }

  @Test
  void anAgentRegistrationTokenIsShownOnceWithTheCommandToStartTheAgent() throws Exception {
    WebUiTest.Browser admin = new WebUiTest.Browser(h.server.url());
    String csrf = admin.signIn(h.adminToken());
    assertThat(admin.get("/ui/agents").body()).contains("No agent has registered yet.");
    HttpResponse<String> created =
        admin.post(
            "/ui/agents/registration-tokens",
            Map.of("csrf", csrf, "pool", "private-eu", "minutes", "30"));
    assertThat(created.statusCode()).as(created.body()).isEqualTo(200);
    String token = created.body().replaceAll("(?s).*<code id=\"reg-token\">([^<]+)</code>.*", "$1");
    assertThat(token).startsWith("slr_");
    assertThat(created.body())
        .contains("sightline agent --server " + h.server.url() + " --pool private-eu");
    assertThat(admin.get("/ui/agents").body()).doesNotContain(token);
    HttpResponse<String> bad =
        admin.post("/ui/agents/registration-tokens", Map.of("csrf", csrf, "pool", "Not A Pool!"));
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(bad.body()).contains("class=\"problem\"");

    WebUiTest.Browser user = new WebUiTest.Browser(h.server.url());
    user.signIn(h.token("user"));
    HttpResponse<String> refused = user.get("/ui/agents");
    assertThat(refused.statusCode()).isEqualTo(403);
    assertThat(refused.body()).contains("ROLE_REQUIRED");
  }
}
