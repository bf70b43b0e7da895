package io.sightline.server.routes;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sightline.core.Durations;
import io.sightline.core.SightlineException;
import io.sightline.server.http.ApiField;
import io.sightline.server.http.Call;
import io.sightline.store.Trust.PipelinePermissions;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/**
 * Request shapes and parameters of the connection routes. The create/update/probe body is flat and
 * its fields depend on {@code authorizationType}, so it is read as a JSON tree and checked against
 * the kind's field declarations ({@link io.sightline.connections.ConnectionRequests}); the record
 * below only documents it in {@code /openapi.json}.
 */
final class ConnectionBodies {
  static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
  static final Duration MAX_TIMEOUT = Duration.ofSeconds(60);
  static final Duration MIN_TIMEOUT = Duration.ofMillis(100);

  private static final ObjectMapper TREE =
      JsonMapper.builder().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION).build();

  private ConnectionBodies() {}

  /** Documentation of the flat connection body (every kind's fields; each kind takes its own). */
  record ConnectionBody(
      @ApiField(value = "1-63 of [a-z0-9-], starting and ending alphanumeric", required = true)
          String name,
      @ApiField(value = "kubernetes", required = true) String kind,
      @ApiField(value = "Kubeconfig, ServiceAccount or AzureSubscription", required = true)
          String authorizationType,
      String description,
      @ApiField("Kubeconfig: the kubeconfig text (secret)") String kubeconfig,
      @ApiField("Kubeconfig/AzureSubscription: the context to use") String clusterContext,
      Boolean acceptUntrustedCerts,
      @ApiField("ServiceAccount: https://host:port") String serverUrl,
      @ApiField("ServiceAccount: the token Secret's YAML or JSON (secret)") String secret,
      @ApiField("ServiceAccount: the token (secret)") String apiToken,
      @ApiField("ServiceAccount: the CA, PEM or base64 of PEM") String serviceAccountCertificate,
      @ApiField("AzureSubscription: cluster-admin kubeconfig, used once, never stored")
          String adminKubeconfig,
      @ApiField("AzureSubscription: target namespaces (also: namespace)") List<String> namespaces,
      Boolean createNamespace,
      @ApiField("all-powerful: deployers bound to cluster-admin") Boolean clusterAdmin,
      @ApiField("sightline-deploy (default), edit, admin or a ClusterRole") String deployerRole,
      @ApiField("default sightline-<name>") String homeNamespace,
      String azureSubscriptionId,
      String clusterId,
      @ApiField(
              "{\"allPipelines\":true} or {\"pipelines\":[\"github:org/app@refs/heads/main\"]}:"
                  + " which CI pipelines (OIDC ID tokens) may lease; default none")
          TrustRoutes.PermissionsBody pipelinePermissions) {}

  /** {@code POST /connections/{name}/harden}. */
  record HardenBody(
      @ApiField(value = "target namespaces; one deployer each", required = true)
          List<String> namespaces,
      Boolean createNamespace,
      String deployerRole,
      Boolean clusterAdmin,
      String homeNamespace) {}

  /** The optional body of {@code DELETE /connections/{name}}. */
  record DeleteBody(
      @ApiField("a cluster-admin kubeconfig to deprovision with (never stored)")
          String adminKubeconfig,
      String clusterContext) {}

  /** Removes {@code pipelinePermissions} from a connection body and checks it; null when absent. */
  static PipelinePermissions takePipelinePermissions(JsonNode tree) {
    if (!(tree instanceof ObjectNode o) || !o.has("pipelinePermissions")) {
      return null;
    }
    JsonNode p = o.remove("pipelinePermissions");
    if (p.isNull()) {
      return null;
    }
    TrustRoutes.PermissionsBody b;
    try {
      b = STRICT.treeToValue(p, TrustRoutes.PermissionsBody.class);
    } catch (JsonProcessingException | IllegalArgumentException e) {
      throw SightlineException.badRequest(
          "INVALID_PIPELINE_PERMISSIONS",
          "pipelinePermissions",
          "pipelinePermissions is {\"allPipelines\":true} or {\"pipelines\":[pattern…]}");
    }
    return TrustRoutes.validate(b.allPipelines(), b.pipelines(), "pipelinePermissions.pipelines");
  }

  private static final ObjectMapper STRICT =
      JsonMapper.builder()
          .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .build();

  /** The raw body as a JSON tree (size-limited, duplicate keys refused); null when empty. */
  static JsonNode tree(Call c, boolean required) {
    byte[] bytes = c.bodyBytes();
    if (new String(bytes, StandardCharsets.UTF_8).isBlank()) {
      if (required) {
        throw SightlineException.badRequest(
            "MISSING_BODY", null, "this request needs a JSON object body");
      }
      return null;
    }
    try {
      JsonNode n = TREE.readTree(bytes);
      if (n == null || !n.isObject()) {
        throw SightlineException.badRequest("INVALID_TYPE", null, "the body must be a JSON object");
      }
      return n;
    } catch (JsonProcessingException e) {
      var loc = e.getLocation();
      throw SightlineException.badRequest(
          "MALFORMED_JSON",
          null,
          "the body is not valid JSON"
              + (loc == null
                  ? ""
                  : " (line " + loc.getLineNr() + ", column " + loc.getColumnNr() + ")")
              + ": send a JSON object");
    } catch (java.io.IOException e) {
      throw SightlineException.badRequest("MALFORMED_JSON", null, "the body could not be read");
    }
  }

  /** {@code ?timeout=}: a duration, default 10 s, from 100 ms to 60 s. */
  static Duration timeout(Call c) {
    String v = c.query("timeout");
    if (v == null) {
      return DEFAULT_TIMEOUT;
    }
    Duration d = Durations.parse(v, "timeout");
    if (d.compareTo(MIN_TIMEOUT) < 0 || d.compareTo(MAX_TIMEOUT) > 0) {
      throw SightlineException.badRequest(
          "INVALID_PARAMETER",
          "timeout",
          "timeout must be from 100ms to 60s (e.g. 5s, 1500ms, or bare seconds)");
    }
    return d;
  }

  /** A boolean query parameter ({@code true}/{@code false}), or {@code dflt} when absent. */
  static boolean flag(Call c, String name, boolean dflt) {
    String v = c.query(name);
    if (v == null) {
      return dflt;
    }
    if (v.equalsIgnoreCase("true")) {
      return true;
    }
    if (v.equalsIgnoreCase("false")) {
      return false;
    }
    throw SightlineException.badRequest("INVALID_PARAMETER", name, name + " must be true or false");
  }

  /** A string member of a tree, or null; 400 when it is not a string. */
  static String string(JsonNode n, String key) {
    JsonNode v = n == null ? null : n.get(key);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isTextual()) {
      throw SightlineException.badRequest(
          "INVALID_TYPE", key, "field \"" + key + "\" must be a string");
    }
    return v.asText();
  }
}
