package io.sightline.cli.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sightline.core.SecretValue;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * The deployment routes {@code sightline run --environment} uses: request a deployment (as the
 * pipeline), then — with the deployment's claim handle only, which outlives the CI's ID token —
 * read it, claim its lease, finish or cancel it.
 */
public final class DeploymentApi {
  private final LeaseApi api;

  public DeploymentApi(LeaseApi api) {
    this.api = api;
  }

  /** Requests a deployment as {@code caller}; retried with one idempotency key. */
  public JsonNode request(String environment, ObjectNode body, SecretValue caller) {
    return api.withRetries(
        "POST",
        "api/v1/environments/" + enc(environment) + "/deployments",
        body,
        caller,
        UUID.randomUUID().toString());
  }

  public JsonNode get(String id, SecretValue claim) {
    return api.withRetries("GET", "api/v1/deployments/" + enc(id), null, claim, null);
  }

  /** Claims the deployment's lease (a retry answers the same lease). */
  public Lease claim(String id, SecretValue claim) {
    return Lease.of(
        api.withRetries(
            "POST",
            "api/v1/deployments/" + enc(id) + "/claim",
            LeaseApi.JSON.createObjectNode(),
            claim,
            null),
        null);
  }

  public JsonNode finish(String id, SecretValue claim, int exitCode) {
    ObjectNode body =
        LeaseApi.JSON
            .createObjectNode()
            .put("result", exitCode == 0 ? "succeeded" : "failed")
            .put("exitCode", exitCode);
    return api.withRetries("POST", "api/v1/deployments/" + enc(id) + "/finish", body, claim, null);
  }

  public JsonNode cancel(String id, SecretValue claim) {
    return api.withRetries(
        "POST",
        "api/v1/deployments/" + enc(id) + "/cancel",
        LeaseApi.JSON.createObjectNode(),
        claim,
        null);
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
