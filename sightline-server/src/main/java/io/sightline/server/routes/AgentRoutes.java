package io.sightline.server.routes;

import com.fasterxml.jackson.databind.JsonNode;
import io.sightline.core.Role;
import io.sightline.core.SecretValue;
import io.sightline.core.SightlineException;
import io.sightline.server.agents.AgentService;
import io.sightline.server.http.ApiField;
import io.sightline.server.http.ApiRoute;
import io.sightline.server.http.ApiRoute.Auth;
import io.sightline.server.http.Call;
import io.sightline.store.Agents.Agent;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Agent routes (issue 9). Admins issue registration tokens and list, disable, enable and remove
 * agents (API token, role admin). Agents call {@code /api/v1/agent/...}: registration with a
 * one-time registration token, then long-poll, results and heartbeats each with a proof signed by
 * the agent's key or a MAC under the session key the server gave it ({@link Auth#AGENT_PROOF}: no
 * role, checked here).
 */
public final class AgentRoutes {
  public record RegistrationTokenRequest(
      @ApiField("lifetime of the token in seconds (default 3600, at most 604800)")
          Long ttlSeconds) {}

  public record RegistrationTokenView(
      String id,
      String pool,
      @ApiField("the one-time registration token, shown only now") String token,
      Instant expiresAt) {}

  public record AgentView(
      String id,
      String name,
      String pool,
      boolean enabled,
      @ApiField("online (seen within 45 s and enabled) or offline") String status,
      Instant lastSeenAt,
      Instant registeredAt,
      String version) {}

  public record AgentList(List<AgentView> items) {}

  public record RegisterRequest(
      String registrationToken,
      String pool,
      String name,
      @ApiField("the agent's public JWK set: EC P-256 keys \"sig\" and \"enc\"")
          JsonNode publicKeys,
      String version) {}

  public record RegisterResponse(String agentId, String pool, String name) {}

  public record JobView(
      String id,
      String kind,
      @ApiField(
              "the job, JWE (dir, A256GCM) under the channel key named by its kid; the job's"
                  + " \"resultKey\" is the key to encrypt the answer under")
          String payload,
      @ApiField(
              "the channel key (an oct JWK), JWE (ECDH-ES+A256KW, A256GCM) to the agent's \"enc\""
                  + " key; the same for many jobs, so decrypt it once per kid")
          String payloadKey,
      @ApiField("the claim's number; the answer's JWE names it as kid \"claim-N\"") int claim,
      Instant claimUntil,
      @ApiField(
              "the id of this replica's session key for the agent; when it is not the one the"
                  + " agent holds, decrypt sessionKey")
          String sessionKeyId,
      @ApiField(
              "the session key (an oct JWK with exp), JWE (ECDH-ES+A256KW, A256GCM) to the agent's"
                  + " \"enc\" key: the agent MACs its calls with it (Authorization: Agent-MAC)")
          String sessionKey) {}

  public record ResultRequest(
      @ApiField("the job's answer, JWE (dir, A256GCM) under the job's resultKey, kid \"claim-N\"")
          String result) {}

  public record HeartbeatRequest(String version) {}

  public record HeartbeatResponse(Instant serverTime) {}

  private AgentRoutes() {}

  public static List<ApiRoute> routes(AgentService agents) {
    return List.of(
        ApiRoute.post(
                "/api/v1/agent-pools/{pool}/registration-tokens",
                Role.ADMIN,
                "Issue a one-time agent registration token for a pool (default lifetime 1 h)")
            .body(RegistrationTokenRequest.class)
            .returns(201, RegistrationTokenView.class)
            .handle(c -> issue(agents, c)),
        ApiRoute.get("/api/v1/agents", Role.ADMIN, "List agents, online or offline")
            .returns(AgentList.class)
            .query("pool", "string", "only the agents of this pool")
            .handle(c -> list(agents, c)),
        ApiRoute.get("/api/v1/agents/{id}", Role.ADMIN, "Show an agent")
            .returns(AgentView.class)
            .handle(c -> view(agents, agents.find(c.pathParam("id")))),
        ApiRoute.post("/api/v1/agents/{id}/disable", Role.ADMIN, "Disable an agent")
            .returns(AgentView.class)
            .handle(
                c ->
                    view(
                        agents,
                        agents.setEnabled(c.pathParam("id"), false, c.actor(), c.requestId()))),
        ApiRoute.post("/api/v1/agents/{id}/enable", Role.ADMIN, "Enable a disabled agent")
            .returns(AgentView.class)
            .handle(
                c ->
                    view(
                        agents,
                        agents.setEnabled(c.pathParam("id"), true, c.actor(), c.requestId()))),
        ApiRoute.delete(
                "/api/v1/agents/{id}", Role.ADMIN, "Remove an agent (it must register again)")
            .handle(
                c -> {
                  agents.remove(c.pathParam("id"), c.actor(), c.requestId());
                  return null;
                }),
        ApiRoute.post("/api/v1/agent/register", null, "Register an agent with a registration token")
            .authenticatedBy(Auth.AGENT_REGISTRATION_TOKEN)
            .body(RegisterRequest.class)
            .returns(RegisterResponse.class)
            .handle(c -> register(agents, c)),
        ApiRoute.post(
                "/api/v1/agent/jobs/next", null, "Long-poll for the next job of the agent's pool")
            .authenticatedBy(Auth.AGENT_PROOF)
            .returns(JobView.class)
            .query("wait", "integer", "seconds to wait for a job (default 25, at most 25)")
            .handle(c -> next(agents, c)),
        ApiRoute.post(
                "/api/v1/agent/jobs/{id}/result",
                null,
                "Post a job's result; with wait, the answer is the pool's next job (as jobs/next)")
            .authenticatedBy(Auth.AGENT_PROOF)
            .body(ResultRequest.class)
            .returns(JobView.class)
            .query(
                "wait",
                "integer",
                "after taking the result, seconds to wait for the next job (none: answer 204 at"
                    + " once)")
            .handle(
                c -> {
                  Agent a = agent(agents, c);
                  Integer wait = c.queryInt("wait", 0, 25);
                  agents.complete(a, c.pathParam("id"), c.body(ResultRequest.class).result());
                  if (wait == null) {
                    c.context().status(204);
                    return null;
                  }
                  return job(c, agents.next(a, Duration.ofSeconds(wait)));
                }),
        ApiRoute.post("/api/v1/agent/heartbeat", null, "Agent heartbeat (extends its job claims)")
            .authenticatedBy(Auth.AGENT_PROOF)
            .body(HeartbeatRequest.class)
            .returns(HeartbeatResponse.class)
            .handle(
                c -> {
                  Agent a = agent(agents, c);
                  HeartbeatRequest r = c.optionalBody(HeartbeatRequest.class);
                  agents.heartbeat(a, r == null ? null : r.version());
                  return new HeartbeatResponse(agents.clock().instant());
                }));
  }

  private static Object issue(AgentService agents, Call c) {
    RegistrationTokenRequest r = c.optionalBody(RegistrationTokenRequest.class);
    AgentService.IssuedToken t =
        agents.issueRegistrationToken(
            c.pathParam("pool"), r == null ? null : r.ttlSeconds(), c.actor(), c.requestId());
    c.context().status(201);
    return new RegistrationTokenView(t.id(), t.pool(), t.token().reveal(), t.expiresAt());
  }

  private static AgentList list(AgentService agents, Call c) {
    String pool = c.query("pool");
    if (pool != null) {
      AgentService.checkPool(pool, "pool");
    }
    return new AgentList(agents.list(pool).stream().map(a -> view(agents, a)).toList());
  }

  private static AgentView view(AgentService agents, Agent a) {
    return new AgentView(
        a.id(),
        a.name(),
        a.pool(),
        a.enabled(),
        agents.online(a) ? "online" : "offline",
        a.lastSeenAt(),
        a.registeredAt(),
        a.version());
  }

  private static RegisterResponse register(AgentService agents, Call c) {
    RegisterRequest r = c.body(RegisterRequest.class);
    if (r.registrationToken() == null || r.registrationToken().isBlank()) {
      throw SightlineException.badRequest(
          "MISSING_FIELD", "registrationToken", "registrationToken is required");
    }
    Agent a =
        agents.register(
            SecretValue.of(r.registrationToken().strip()),
            r.pool(),
            r.name(),
            r.publicKeys(),
            r.version(),
            c.requestId());
    return new RegisterResponse(a.id(), a.pool(), a.name());
  }

  private static Object next(AgentService agents, Call c) {
    Agent a = agent(agents, c);
    Integer wait = c.queryInt("wait", 0, 25);
    return job(c, agents.next(a, Duration.ofSeconds(wait == null ? 25 : wait)));
  }

  private static JobView job(Call c, Optional<AgentService.Claimed> job) {
    if (job.isEmpty()) {
      c.context().status(204);
      return null;
    }
    AgentService.Claimed j = job.get();
    return new JobView(
        j.id(),
        j.kind(),
        j.payload(),
        j.payloadKey(),
        j.claim(),
        j.until(),
        j.sessionKeyId(),
        j.sessionKey());
  }

  /**
   * Authenticates the calling agent by its proof or its session MAC (401 otherwise, the reason in
   * the log).
   */
  private static Agent agent(AgentService agents, Call c) {
    var ctx = c.context();
    String base = ctx.scheme() + "://" + ctx.host();
    return agents.authenticate(
        ctx.header("Authorization"),
        ctx.method().name(),
        ctx.path(),
        ctx.queryString(),
        base,
        c::bodyBytes);
  }
}
