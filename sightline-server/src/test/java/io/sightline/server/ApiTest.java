package io.sightline.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ApiTest {
  @TempDir Path tmp;
  Harness h;
  String admin;

  @BeforeEach
  void start() throws Exception {
    h = new Harness(tmp);
    h.start();
    admin = h.adminToken();
  }

  @AfterEach
  void stop() {
    h.close();
  }

  private static void assertProblem(Harness.Response r, int status, String code) throws Exception {
    assertThat(r.status()).as(r.toString()).isEqualTo(status);
    assertThat(r.header("Content-Type")).startsWith("application/problem+json");
    JsonNode p = r.json();
    assertThat(p.get("status").asInt()).isEqualTo(status);
    assertThat(p.get("code").asText()).isEqualTo(code);
    assertThat(p.get("type").asText()).isEqualTo("urn:sightline:problem:" + code);
    assertThat(p.get("title").asText()).isNotBlank();
    assertThat(p.get("detail").asText()).isNotBlank();
  }

  @Test
  void anAdminCreatesATokenWhoseValueIsShownOnceAndNeverListed() throws Exception {
    var r =
        h.post(
            "/api/v1/tokens",
            admin,
            "{\"name\":\"ci\",\"role\":\"user\",\"groups\":[\"deployers\"],\"ttlSeconds\":3600}");
    assertThat(r.status()).isEqualTo(201);
    String token = r.json().get("token").asText();
    assertThat(token).startsWith("slt_");
    assertThat(r.json().get("expiresAt").asText()).isEqualTo("2026-11-29T13:00:00Z");
    String id = r.json().get("id").asText();

    var list = h.get("/api/v1/tokens", admin);
    assertThat(list.status()).isEqualTo(200);
    assertThat(list.body())
        .contains(id)
        .contains("\"groups\":[\"deployers\"]")
        .doesNotContain(token);
    assertThat(h.get("/api/v1/audit", token).status()).isEqualTo(200);
  }

  @Test
  void creatingAndRevokingTokensWriteAuditRecords() throws Exception {
    var created = h.post("/api/v1/tokens", admin, "{\"name\":\"ci\",\"role\":\"reader\"}").json();
    String id = created.get("id").asText();
    var revoke =
        h.send(
            h.req("/api/v1/tokens/" + id, admin).header("X-Request-Id", "rq-1").DELETE().build());
    assertThat(revoke.status()).isEqualTo(204);
    assertThat(h.delete("/api/v1/tokens/" + id, admin).status()).as("idempotent").isEqualTo(204);

    JsonNode audit = h.get("/api/v1/audit?action=token.revoke", admin).json();
    assertThat(audit.get("items")).hasSize(1);
    JsonNode rec = audit.get("items").get(0);
    assertThat(rec.get("target").asText()).isEqualTo("token/" + id);
    assertThat(rec.get("actor").asText()).isEqualTo("admin");
    assertThat(rec.get("requestId").asText()).isEqualTo("rq-1");
    JsonNode create = h.get("/api/v1/audit?action=token.create&target=token/" + id, admin).json();
    assertThat(create.get("items")).hasSize(1);
    assertThat(create.get("items").get(0).get("details").get("role").asText()).isEqualTo("reader");
    assertThat(h.get("/api/v1/audit", admin).body()).doesNotContain(created.get("token").asText());

    assertProblem(h.delete("/api/v1/tokens/nope", admin), 404, "TOKEN_NOT_FOUND");
  }

  @Test
  void theAuditLogPagesWithACursorAndFilters() throws Exception {
    for (int i = 0; i < 5; i++) {
      h.post("/api/v1/tokens", admin, "{\"name\":\"n" + i + "\",\"role\":\"reader\"}");
    }
    List<Long> seqs = new ArrayList<>();
    String cursor = null;
    do {
      JsonNode page =
          h.get("/api/v1/audit?limit=2" + (cursor == null ? "" : "&cursor=" + cursor), admin)
              .json();
      page.get("items").forEach(n -> seqs.add(n.get("seq").asLong()));
      cursor = page.hasNonNull("nextCursor") ? page.get("nextCursor").asText() : null;
    } while (cursor != null);
    assertThat(seqs).containsExactly(6L, 5L, 4L, 3L, 2L, 1L);
    assertProblem(h.get("/api/v1/audit?limit=0", admin), 400, "INVALID_PARAMETER");
    assertProblem(h.get("/api/v1/audit?since=yesterday", admin), 400, "INVALID_PARAMETER");
    assertThat(h.get("/api/v1/audit?since=yesterday", admin).json().get("field").asText())
        .isEqualTo("since");
    assertProblem(h.get("/api/v1/audit?cursor=x", admin), 400, "INVALID_CURSOR");
  }

  @Test
  void verifyAnswers200WithTheChainsState() throws Exception {
    JsonNode v = h.get("/api/v1/audit/verify", h.token("reader")).json();
    assertThat(v.get("ok").asBoolean()).isTrue();
    assertThat(v.get("checked").asLong()).isEqualTo(2);
  }

  @Test
  void rolesNestAndAnInsufficientRoleGets403NamingTheRoleNeeded() throws Exception {
    String reader = h.token("reader");
    String creator = h.token("creator");
    assertThat(h.get("/api/v1/audit", reader).status()).isEqualTo(200);
    assertThat(h.get("/api/v1/audit/verify", creator).status()).isEqualTo(200);
    var r = h.get("/api/v1/tokens", creator);
    assertProblem(r, 403, "ROLE_REQUIRED");
    assertThat(r.json().get("detail").asText()).contains("admin role").contains("creator");
    assertProblem(
        h.post("/api/v1/tokens", reader, "{\"name\":\"x\",\"role\":\"admin\"}"),
        403,
        "ROLE_REQUIRED");
  }

  @Test
  void missingUnknownExpiredAndRevokedTokensGetTheSameVague401() throws Exception {
    assertProblem(h.get("/api/v1/tokens", null), 401, "UNAUTHORIZED");
    assertThat(h.get("/api/v1/tokens", null).header("WWW-Authenticate")).isEqualTo("Bearer");
    assertProblem(h.get("/api/v1/tokens", "slt_" + "x".repeat(43)), 401, "UNAUTHORIZED");
    assertProblem(
        h.send(h.req("/api/v1/tokens", null).header("Authorization", "Basic YTpi").GET().build()),
        401,
        "UNAUTHORIZED");

    var shortLived =
        h.post("/api/v1/tokens", admin, "{\"name\":\"s\",\"role\":\"reader\",\"ttlSeconds\":60}")
            .json();
    String expiring = shortLived.get("token").asText();
    assertThat(h.get("/api/v1/audit", expiring).status()).isEqualTo(200);
    h.clock.advance(Duration.ofSeconds(61));
    var expired = h.get("/api/v1/audit", expiring);
    assertProblem(expired, 401, "UNAUTHORIZED");

    String revoked = h.token("reader");
    var unknown = h.get("/api/v1/audit", "slt_" + "y".repeat(43));
    String id = h.get("/api/v1/tokens", admin).json().get("items").get(0).get("id").asText();
    assertThat(h.delete("/api/v1/tokens/" + id, admin).status()).isEqualTo(204);
    var afterRevoke = h.get("/api/v1/audit", revoked);
    assertProblem(afterRevoke, 401, "UNAUTHORIZED");
    assertThat(afterRevoke.json().get("detail")).isEqualTo(unknown.json().get("detail"));
    assertThat(expired.json().get("detail")).isEqualTo(unknown.json().get("detail"));
  }

  @Test
  void malformedJsonIs400() throws Exception {
    var r = h.post("/api/v1/tokens", admin, "{\"name\": ");
    assertProblem(r, 400, "MALFORMED_JSON");
    assertProblem(h.post("/api/v1/tokens", admin, "not json"), 400, "MALFORMED_JSON");
    assertProblem(h.post("/api/v1/tokens", admin, ""), 400, "MISSING_BODY");
    assertProblem(h.post("/api/v1/tokens", admin, "[1,2]"), 400, "INVALID_TYPE");
  }

  @Test
  @DisplayName("a wrong JSON type is a 400 naming the field, never a coercion or a 500")
  void wrongTypesName400TheField() throws Exception {
    var r =
        h.post(
            "/api/v1/tokens", admin, "{\"name\":\"x\",\"role\":\"user\",\"ttlSeconds\":\"soon\"}");
    assertProblem(r, 400, "INVALID_TYPE");
    assertThat(r.json().get("field").asText()).isEqualTo("ttlSeconds");
    assertThat(r.json().get("detail").asText()).contains("ttlSeconds").contains("integer");

    var n = h.post("/api/v1/tokens", admin, "{\"name\":5,\"role\":\"user\"}");
    assertProblem(n, 400, "INVALID_TYPE");
    assertThat(n.json().get("field").asText()).isEqualTo("name");

    var g =
        h.post("/api/v1/tokens", admin, "{\"name\":\"x\",\"role\":\"user\",\"groups\":\"ops\"}");
    assertProblem(g, 400, "INVALID_TYPE");
    assertThat(g.json().get("field").asText()).isEqualTo("groups");

    var role = h.post("/api/v1/tokens", admin, "{\"name\":\"x\",\"role\":\"root\"}");
    assertProblem(role, 400, "INVALID_ROLE");
    assertThat(role.json().get("field").asText()).isEqualTo("role");

    var ttl =
        h.post("/api/v1/tokens", admin, "{\"name\":\"x\",\"role\":\"user\",\"ttlSeconds\":-5}");
    assertProblem(ttl, 400, "INVALID_TTL");
    var missing = h.post("/api/v1/tokens", admin, "{\"role\":\"user\"}");
    assertProblem(missing, 400, "MISSING_FIELD");
    assertThat(missing.json().get("field").asText()).isEqualTo("name");
  }

  @Test
  void unknownFieldsAre400NamingTheField() throws Exception {
    var r = h.post("/api/v1/tokens", admin, "{\"name\":\"x\",\"role\":\"user\",\"admin\":true}");
    assertProblem(r, 400, "UNKNOWN_FIELD");
    assertThat(r.json().get("field").asText()).isEqualTo("admin");
    assertThat(r.json().get("detail").asText()).contains("\"admin\"").contains("ttlSeconds");
    assertThat(h.store.records()).extracting(a -> a.action()).containsExactly("token.create");
  }

  @Test
  void bodiesOverOneMebibyteAre413WhetherDeclaredOrStreamed() throws Exception {
    String big = "{\"name\":\"" + "a".repeat(1024 * 1024 + 10) + "\",\"role\":\"user\"}";
    assertProblem(h.post("/api/v1/tokens", admin, big), 413, "BODY_TOO_LARGE");
    byte[] bytes = big.getBytes();
    var chunked =
        h.send(
            h.req("/api/v1/tokens", admin)
                .header("Content-Type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(bytes)))
                .build());
    assertProblem(chunked, 413, "BODY_TOO_LARGE");
    assertThat(h.get("/healthz", null).status()).isEqualTo(200);
  }

  @Test
  void anUnavailableStoreGives503WithRetryAfterAndRecoversWithoutRestart() throws Exception {
    h.store.down = true;
    var r = h.get("/api/v1/audit", admin);
    assertProblem(r, 503, "STORE_UNAVAILABLE");
    assertThat(r.header("Retry-After")).isEqualTo("5");
    assertProblem(h.get("/readyz", null), 503, "STORE_UNAVAILABLE");
    assertThat(h.get("/healthz", null).status()).isEqualTo(200);
    h.store.down = false;
    assertThat(h.get("/readyz", null).status()).isEqualTo(200);
    assertThat(h.get("/api/v1/audit", admin).status()).isEqualTo(200);
  }

  @Test
  void anUnexpectedErrorIs500WithAnErrorIdThatIsInTheLogWithTheStackTrace() throws Exception {
    try (LogCapture logs = new LogCapture()) {
      var r = h.get("/api/v1/audit?action=boom", admin);
      assertProblem(r, 500, "INTERNAL_ERROR");
      String errorId = r.json().get("errorId").asText();
      assertThat(r.body()).doesNotContain("IllegalStateException");
      assertThat(logs.text())
          .contains("unexpected error " + errorId)
          .contains("IllegalStateException: boom");
    }
  }

  @Test
  void unknownRoutesAndMethodsAreProblems() throws Exception {
    assertProblem(h.get("/api/v1/nothing", admin), 404, "NOT_FOUND");
    var put =
        h.send(
            h.req("/api/v1/tokens", admin).PUT(HttpRequest.BodyPublishers.ofString("{}")).build());
    assertProblem(put, 405, "METHOD_NOT_ALLOWED");
  }

  @Test
  void oneLogLinePerRequestNamesMethodRouteStatusPrincipalAndRequestId() throws Exception {
    try (LogCapture logs = new LogCapture()) {
      String id = h.get("/api/v1/tokens", admin).json().get("items").get(0).get("id").asText();
      h.send(
          h.req("/api/v1/tokens/" + id, admin).header("X-Request-Id", "req-77").DELETE().build());
      assertThat(logs.text())
          .containsPattern(
              "DELETE /api/v1/tokens/\\{id} 204 [0-9.]+ms principal=admin request=req-77")
          .doesNotContain(admin);
    }
  }
}
