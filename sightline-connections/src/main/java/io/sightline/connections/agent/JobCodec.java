package io.sightline.connections.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sightline.api.probe.ProbeResult;
import io.sightline.core.SecretValue;
import io.sightline.core.SightlineException;
import io.sightline.kubernetes.ClusterAccess;
import io.sightline.kubernetes.ProbeOptions;
import io.sightline.kubernetes.mint.MintRequest;
import io.sightline.kubernetes.mint.MintedToken;
import io.sightline.kubernetes.provision.DeployerRole;
import io.sightline.kubernetes.provision.DeprovisionResult;
import io.sightline.kubernetes.provision.ObjectRef;
import io.sightline.kubernetes.provision.ProvisionResult;
import io.sightline.kubernetes.provision.ProvisionSpec;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The plaintext of agent jobs and their results, as JSON (issue 9). It carries secrets (the cluster
 * credential, a minted token), so it only ever travels as a JWE ({@link AgentCrypto}) and is only
 * ever stored sealed. The server writes a job with {@code write*}; the agent reads it with {@link
 * #readJob}, runs it and answers with {@link #ok} or {@link #error}; the server reads the answer
 * with {@code read*}.
 */
public final class JobCodec {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The kinds of job an agent runs. */
  public enum Kind {
    PROBE,
    MINT,
    REVOKE,
    PROVISION,
    DEPROVISION;

    public String wireName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }

    public static Kind fromWire(String s) {
      return valueOf(s.toUpperCase(java.util.Locale.ROOT));
    }
  }

  /** A job as the agent reads it. */
  public record Job(Kind kind, ClusterAccess access, boolean agentIdentity, JsonNode args) {}

  private JobCodec() {}

  // ------------------------------------------------------------------ jobs

  public static SecretValue probe(ClusterAccess access, boolean agentIdentity, ProbeOptions o) {
    ObjectNode args = JSON.createObjectNode();
    args.put("deadlineMillis", o.deadline().toMillis());
    ArrayNode ns = args.putArray("targetNamespaces");
    o.targetNamespaces().forEach(ns::add);
    return job(Kind.PROBE, access, agentIdentity, args);
  }

  public static SecretValue mint(ClusterAccess access, boolean agentIdentity, MintRequest r) {
    ObjectNode args = JSON.createObjectNode();
    args.put("leaseId", r.leaseId());
    args.put("homeNamespace", r.homeNamespace());
    args.put("deployer", r.deployer());
    args.put("ttlSeconds", r.ttl().toSeconds());
    ArrayNode aud = args.putArray("audiences");
    r.audiences().forEach(aud::add);
    if (r.expiresAt() != null) {
      args.put("expiresAt", r.expiresAt().toString());
    }
    return job(Kind.MINT, access, agentIdentity, args);
  }

  public static SecretValue revoke(
      ClusterAccess access, boolean agentIdentity, String leaseId, String homeNamespace) {
    ObjectNode args = JSON.createObjectNode();
    args.put("leaseId", leaseId);
    args.put("homeNamespace", homeNamespace);
    return job(Kind.REVOKE, access, agentIdentity, args);
  }

  public static SecretValue provision(Kind kind, ClusterAccess access, ProvisionSpec s) {
    ObjectNode args = JSON.createObjectNode();
    args.put("connection", s.connection());
    args.put("homeNamespace", s.homeNamespace());
    ArrayNode ns = args.putArray("targetNamespaces");
    s.targetNamespaces().forEach(ns::add);
    args.put("createNamespace", s.createNamespace());
    args.put("clusterAdmin", s.clusterAdmin());
    if (s.deployerRole() != null) {
      args.put("deployerRole", s.deployerRole().clusterRole());
    }
    args.put("rotateMinterToken", s.rotateMinterToken());
    if (s.tokenWait() != null) {
      args.put("tokenWaitMillis", s.tokenWait().toMillis());
    }
    return job(kind, access, false, args);
  }

  private static SecretValue job(
      Kind kind, ClusterAccess access, boolean agentIdentity, ObjectNode args) {
    ObjectNode out = JSON.createObjectNode();
    out.put("kind", kind.wireName());
    out.set("access", access(access));
    out.put("agentIdentity", agentIdentity);
    out.set("args", args);
    return SecretValue.of(out.toString());
  }

  /**
   * The job with the key its answer is to be encrypted under ({@link AgentCrypto#encryptResult});
   * the key travels and is stored only inside the job, which is itself encrypted or sealed.
   */
  public static SecretValue withResultKey(SecretValue job, byte[] resultKey) {
    JsonNode n = tree(job);
    if (!(n instanceof ObjectNode o)) {
      throw new IllegalArgumentException("a job is a JSON object");
    }
    o.put("resultKey", java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(resultKey));
    return SecretValue.of(o.toString());
  }

  /**
   * The job's result key.
   *
   * @throws IllegalArgumentException when the job carries none (or not a 256-bit one)
   */
  public static byte[] resultKey(SecretValue job) {
    String k = tree(job).path("resultKey").asText("");
    byte[] key;
    try {
      key = java.util.Base64.getUrlDecoder().decode(k);
    } catch (IllegalArgumentException e) {
      key = new byte[0];
    }
    if (key.length != AgentCrypto.RESULT_KEY_BYTES) {
      throw new IllegalArgumentException("the job carries no result key");
    }
    return key;
  }

  public static Job readJob(SecretValue json) {
    JsonNode n = tree(json);
    return new Job(
        Kind.fromWire(n.path("kind").asText()),
        access(n.get("access")),
        n.path("agentIdentity").asBoolean(false),
        n.path("args"));
  }

  public static ProbeOptions probeOptions(JsonNode args) {
    return new ProbeOptions(
        Duration.ofMillis(args.path("deadlineMillis").asLong(10_000)),
        strings(args.path("targetNamespaces")));
  }

  public static MintRequest mintRequest(JsonNode args) {
    return new MintRequest(
        args.path("leaseId").asText(),
        args.path("homeNamespace").asText(),
        args.path("deployer").asText(),
        Duration.ofSeconds(args.path("ttlSeconds").asLong()),
        strings(args.path("audiences")),
        args.hasNonNull("expiresAt") ? Instant.parse(args.get("expiresAt").asText()) : null);
  }

  public static ProvisionSpec provisionSpec(JsonNode args) {
    return new ProvisionSpec(
        args.path("connection").asText(),
        text(args, "homeNamespace"),
        strings(args.path("targetNamespaces")),
        args.path("createNamespace").asBoolean(),
        args.path("clusterAdmin").asBoolean(),
        args.hasNonNull("deployerRole")
            ? new DeployerRole(args.get("deployerRole").asText())
            : null,
        args.path("rotateMinterToken").asBoolean(),
        args.hasNonNull("tokenWaitMillis")
            ? Duration.ofMillis(args.get("tokenWaitMillis").asLong())
            : null);
  }

  // ------------------------------------------------------------------ results

  public static SecretValue ok(JsonNode result) {
    ObjectNode out = JSON.createObjectNode();
    out.put("ok", true);
    out.set("result", result);
    return SecretValue.of(out.toString());
  }

  /** A failed job: the error's code, status, field and detail (never a secret). */
  public static SecretValue error(SightlineException e) {
    ObjectNode out = JSON.createObjectNode();
    out.put("ok", false);
    ObjectNode err = out.putObject("error");
    err.put("code", e.code());
    err.put("status", e.status());
    if (e.field() != null) {
      err.put("field", e.field());
    }
    err.put("detail", e.getMessage());
    return SecretValue.of(out.toString());
  }

  /**
   * The result of a job, or the agent's error thrown as a {@link SightlineException} with its code,
   * status and detail.
   */
  public static JsonNode readResult(SecretValue json) {
    JsonNode n = tree(json);
    if (n.path("ok").asBoolean(false)) {
      return n.path("result");
    }
    JsonNode e = n.path("error");
    throw new SightlineException(
        e.path("code").asText("AGENT_JOB_FAILED"),
        e.path("status").asInt(502),
        text(e, "field"),
        e.path("detail").asText("the agent could not run the job"));
  }

  public static JsonNode probeResult(ProbeResult r) {
    return JSON.valueToTree(r);
  }

  public static ProbeResult probeResult(JsonNode n) {
    try {
      return JSON.treeToValue(n, ProbeResult.class);
    } catch (IOException e) {
      throw new IllegalArgumentException("not a probe result: " + e.getMessage(), e);
    }
  }

  public static JsonNode minted(MintedToken t) {
    ObjectNode out = JSON.createObjectNode();
    out.put("token", t.token().reveal());
    out.put("expiresAt", t.expiresAt().toString());
    out.put("jti", t.jti());
    out.put("sha256", t.sha256());
    out.put("serviceAccount", t.serviceAccount());
    out.put("secretName", t.secretName());
    out.put("secretUid", t.secretUid());
    return out;
  }

  public static MintedToken minted(JsonNode n) {
    return new MintedToken(
        SecretValue.of(n.path("token").asText()),
        Instant.parse(n.path("expiresAt").asText()),
        text(n, "jti"),
        text(n, "sha256"),
        text(n, "serviceAccount"),
        text(n, "secretName"),
        text(n, "secretUid"));
  }

  public static JsonNode revoked(boolean deleted) {
    return JSON.createObjectNode().put("deleted", deleted);
  }

  public static boolean revoked(JsonNode n) {
    return n.path("deleted").asBoolean();
  }

  public static JsonNode provisioned(ProvisionResult r) {
    ObjectNode out = JSON.createObjectNode();
    out.put("homeNamespace", r.homeNamespace());
    out.put("minterServiceAccount", r.minterServiceAccount());
    out.put("minterToken", r.minterToken() == null ? null : r.minterToken().reveal());
    out.put("caPem", r.caPem());
    out.put("minterTokenSecret", r.minterTokenSecret());
    out.set("deployers", JSON.valueToTree(r.deployers()));
    out.put("kubernetesVersion", r.kubernetesVersion());
    out.set("created", JSON.valueToTree(r.created()));
    out.set("updated", JSON.valueToTree(r.updated()));
    out.set("deleted", JSON.valueToTree(r.deleted()));
    out.set("warnings", JSON.valueToTree(r.warnings()));
    return out;
  }

  public static ProvisionResult provisioned(JsonNode n) {
    Map<String, String> deployers = new LinkedHashMap<>();
    n.path("deployers")
        .fields()
        .forEachRemaining(e -> deployers.put(e.getKey(), e.getValue().asText()));
    return new ProvisionResult(
        text(n, "homeNamespace"),
        text(n, "minterServiceAccount"),
        n.hasNonNull("minterToken") ? SecretValue.of(n.get("minterToken").asText()) : null,
        text(n, "caPem"),
        text(n, "minterTokenSecret"),
        deployers,
        text(n, "kubernetesVersion"),
        refs(n.path("created")),
        refs(n.path("updated")),
        refs(n.path("deleted")),
        strings(n.path("warnings")));
  }

  public static JsonNode deprovisioned(DeprovisionResult r) {
    ObjectNode out = JSON.createObjectNode();
    out.set("deleted", JSON.valueToTree(r.deleted()));
    out.set("leftBehind", JSON.valueToTree(r.leftBehind()));
    out.set("warnings", JSON.valueToTree(r.warnings()));
    return out;
  }

  public static DeprovisionResult deprovisioned(JsonNode n) {
    return new DeprovisionResult(
        refs(n.path("deleted")), strings(n.path("leftBehind")), strings(n.path("warnings")));
  }

  // ------------------------------------------------------------------ helpers

  private static ObjectNode access(ClusterAccess a) {
    ObjectNode out = JSON.createObjectNode();
    out.put("server", a.server());
    out.put("caPem", a.caPem());
    out.put("insecureSkipTlsVerify", a.insecureSkipTlsVerify());
    out.put("tlsServerName", a.tlsServerName());
    out.put("bearerToken", reveal(a.bearerToken()));
    out.put("clientCertificatePem", a.clientCertificatePem());
    out.put("clientKeyPem", reveal(a.clientKeyPem()));
    out.put("username", a.username());
    out.put("password", reveal(a.password()));
    out.put("namespace", a.namespace());
    return out;
  }

  private static ClusterAccess access(JsonNode n) {
    return new ClusterAccess(
        n.path("server").asText(),
        text(n, "caPem"),
        n.path("insecureSkipTlsVerify").asBoolean(),
        text(n, "tlsServerName"),
        secret(n, "bearerToken"),
        text(n, "clientCertificatePem"),
        secret(n, "clientKeyPem"),
        text(n, "username"),
        secret(n, "password"),
        text(n, "namespace"));
  }

  private static String reveal(SecretValue v) {
    return v == null ? null : v.reveal();
  }

  private static SecretValue secret(JsonNode n, String field) {
    return n.hasNonNull(field) ? SecretValue.of(n.get(field).asText()) : null;
  }

  private static String text(JsonNode n, String field) {
    return n.hasNonNull(field) ? n.get(field).asText() : null;
  }

  private static List<String> strings(JsonNode n) {
    List<String> out = new ArrayList<>();
    n.forEach(x -> out.add(x.asText()));
    return out;
  }

  private static List<ObjectRef> refs(JsonNode n) {
    List<ObjectRef> out = new ArrayList<>();
    n.forEach(x -> out.add(new ObjectRef(text(x, "kind"), text(x, "namespace"), text(x, "name"))));
    return out;
  }

  private static JsonNode tree(SecretValue json) {
    try {
      return JSON.readTree(json.reveal());
    } catch (IOException e) {
      throw new IllegalArgumentException("not JSON", e);
    }
  }
}
