package io.sightline.server.routes;

import io.sightline.core.AuditEvent;
import io.sightline.core.Role;
import io.sightline.core.SightlineException;
import io.sightline.server.http.ApiField;
import io.sightline.server.http.ApiRoute;
import io.sightline.server.http.Call;
import io.sightline.store.ApiTokens;
import io.sightline.store.ApiTokens.ApiToken;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code /api/v1/tokens}: create, list and revoke API tokens (admins). */
public final class TokenRoutes {
  /** At most ten years: a token must expire. */
  static final long MAX_TTL_SECONDS = 10L * 366 * 24 * 3600;

  public record CreateTokenRequest(
      @ApiField(value = "who or what holds the token", required = true, example = "ci-deploy")
          String name,
      @ApiField(value = "admin, creator, user or reader", required = true, example = "user")
          String role,
      @ApiField("groups the holder belongs to") List<String> groups,
      @ApiField("lifetime in seconds; default from --token-ttl (90 days)") Long ttlSeconds) {}

  public record CreatedTokenResponse(
      String id,
      @ApiField("the token value, shown this once: store it now") String token,
      Instant expiresAt,
      String name,
      String role,
      List<String> groups) {}

  public record TokenView(
      String id,
      String name,
      String role,
      List<String> groups,
      Instant createdAt,
      Instant expiresAt,
      Instant revokedAt,
      String createdBy,
      @ApiField("active, expired or revoked") String status) {}

  public record TokenList(List<TokenView> items) {}

  private TokenRoutes() {}

  public static List<ApiRoute> routes(Services s) {
    return List.of(
        ApiRoute.post("/api/v1/tokens", Role.ADMIN, "Create an API token (its value is shown once)")
            .body(CreateTokenRequest.class)
            .returns(201, CreatedTokenResponse.class)
            .handle(c -> create(s, c)),
        ApiRoute.get("/api/v1/tokens", Role.ADMIN, "List API tokens (never their values)")
            .returns(TokenList.class)
            .handle(c -> list(s)),
        ApiRoute.delete("/api/v1/tokens/{id}", Role.ADMIN, "Revoke an API token (idempotent)")
            .handle(c -> revoke(s, c)));
  }

  private static CreatedTokenResponse create(Services s, Call c) {
    CreateTokenRequest req = c.body(CreateTokenRequest.class);
    if (req.name() == null || req.name().isBlank()) {
      throw SightlineException.badRequest(
          "MISSING_FIELD", "name", "name is required: say who or what holds the token");
    }
    if (req.role() == null) {
      throw SightlineException.badRequest(
          "MISSING_FIELD", "role", "role is required: one of admin, creator, user, reader");
    }
    Role role = Role.parse(req.role(), "role");
    Duration ttl = s.tokenTtl();
    if (req.ttlSeconds() != null) {
      if (req.ttlSeconds() <= 0 || req.ttlSeconds() > MAX_TTL_SECONDS) {
        throw SightlineException.badRequest(
            "INVALID_TTL",
            "ttlSeconds",
            "ttlSeconds must be from 1 to " + MAX_TTL_SECONDS + " (ten years)");
      }
      ttl = Duration.ofSeconds(req.ttlSeconds());
    }
    List<String> groups = req.groups() == null ? List.of() : req.groups();
    for (int i = 0; i < groups.size(); i++) {
      if (groups.get(i) == null || groups.get(i).isBlank()) {
        throw SightlineException.badRequest(
            "INVALID_GROUP", "groups[" + i + "]", "groups must be non-empty names");
      }
    }
    Duration finalTtl = ttl;
    ApiTokens.CreatedToken created =
        s.store()
            .transact(
                tx -> {
                  ApiTokens.CreatedToken t =
                      tx.tokens().create(req.name().strip(), role, groups, finalTtl, c.actor());
                  Map<String, Object> details = new LinkedHashMap<>();
                  details.put("name", t.token().name());
                  details.put("role", role.wireName());
                  details.put("groups", t.token().groups());
                  details.put("expiresAt", t.token().expiresAt().toString());
                  tx.audit()
                      .append(
                          new AuditEvent(
                              "token.create",
                              c.actor(),
                              "token/" + t.token().id(),
                              "success",
                              c.requestId(),
                              details));
                  return t;
                });
    ApiToken t = created.token();
    return new CreatedTokenResponse(
        t.id(), created.value().reveal(), t.expiresAt(), t.name(), t.role().wireName(), t.groups());
  }

  private static TokenList list(Services s) {
    Instant now = s.clock().instant();
    List<ApiToken> tokens = s.store().transact(tx -> tx.tokens().list());
    return new TokenList(tokens.stream().map(t -> view(t, now)).toList());
  }

  static TokenView view(ApiToken t, Instant now) {
    String status =
        t.revokedAt() != null ? "revoked" : now.isBefore(t.expiresAt()) ? "active" : "expired";
    return new TokenView(
        t.id(),
        t.name(),
        t.role().wireName(),
        t.groups(),
        t.createdAt(),
        t.expiresAt(),
        t.revokedAt(),
        t.createdBy(),
        status);
  }

  private static Object revoke(Services s, Call c) {
    String id = c.pathParam("id");
    Instant now = s.clock().instant();
    s.store()
        .transact(
            tx -> {
              ApiToken t =
                  tx.tokens()
                      .find(id)
                      .orElseThrow(
                          () ->
                              SightlineException.notFound(
                                  "TOKEN_NOT_FOUND",
                                  "no token with id "
                                      + id
                                      + ": list them with GET /api/v1/tokens"));
              if (t.revokedAt() == null) {
                tx.tokens().revoke(id, now);
                tx.audit()
                    .append(
                        new AuditEvent(
                            "token.revoke",
                            c.actor(),
                            "token/" + id,
                            "success",
                            c.requestId(),
                            Map.of("name", t.name())));
              }
              return null;
            });
    return null;
  }
}
