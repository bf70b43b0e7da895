package io.sightline.testing.azure.internal;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Azure Pipelines' OIDC token endpoint ({@code SYSTEM_OIDCREQUESTURI}): a job's system access token
 * and a service connection id buy an ID token for {@code api://AzureADTokenExchange}, issued as
 * newer Azure DevOps does under the Entra v2.0 issuer of a tenant.
 */
public final class PipelinesEndpoints {
  /** Path of the job's OIDC request URI (plan and job ids are not checked). */
  public static final String PATH =
      "/_apis/distributedtask/hubs/build/plans/5c1f0d55-0000-4000-8000-000000000001/jobs/"
          + "5c1f0d55-0000-4000-8000-000000000002/oidctoken";

  private static final Pattern ROUTE =
      Pattern.compile("^/_apis/distributedtask/hubs/build/plans/[^/]+/jobs/[^/]+/oidctoken$");

  /** A service connection: its id, the tenant whose v2.0 issuer signs, and the token subject. */
  public record Connection(String tenant, String serviceConnectionId, String subject) {}

  private final Map<String, Connection> connections = new ConcurrentHashMap<>();
  private final TokenMinter minter;
  private final String authority;
  private final String systemAccessToken;

  public PipelinesEndpoints(TokenMinter minter, String authority, String systemAccessToken) {
    this.minter = minter;
    this.authority = authority;
    this.systemAccessToken = systemAccessToken;
  }

  public void add(Connection c) {
    connections.put(c.serviceConnectionId(), c);
  }

  public boolean handle(HttpExchange ex) throws IOException {
    if (!ROUTE.matcher(ex.getRequestURI().getPath()).matches()) {
      return false;
    }
    Http.body(ex);
    String auth = ex.getRequestHeaders().getFirst("Authorization");
    if (!"POST".equals(ex.getRequestMethod())
        || auth == null
        || !auth.equals("Bearer " + systemAccessToken)) {
      Map<String, Object> err = new LinkedHashMap<>();
      err.put("$id", "1");
      err.put("message", "TF400813: The user '' is not authorized to access this resource.");
      err.put("typeKey", "UnauthorizedRequestException");
      Http.json(ex, 401, err);
      return true;
    }
    Map<String, String> q = Http.query(ex);
    Connection c = connections.get(q.getOrDefault("serviceConnectionId", ""));
    if (c == null) {
      Map<String, Object> err = new LinkedHashMap<>();
      err.put("$id", "1");
      err.put(
          "message",
          "Service connection "
              + q.get("serviceConnectionId")
              + " could not be found or you do not have permission to use it.");
      err.put("typeKey", "ServiceEndpointNotFoundException");
      Http.json(ex, 404, err);
      return true;
    }
    Instant now = Instant.now();
    Map<String, Object> claims = new LinkedHashMap<>();
    claims.put("iss", authority + "/" + c.tenant() + "/v2.0");
    claims.put("sub", c.subject());
    claims.put("aud", "api://AzureADTokenExchange");
    claims.put("iat", now);
    claims.put("nbf", now);
    claims.put("exp", now.plus(Duration.ofMinutes(10)));
    Http.json(ex, 200, Map.of("oidcToken", minter.sign(claims)));
    return true;
  }
}
