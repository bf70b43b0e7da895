package io.sightline.server.routes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sightline.api.probe.ProbeResult;
import io.sightline.connections.ClusterOperations;
import io.sightline.connections.ConnectionKind;
import io.sightline.connections.ConnectionRequests;
import io.sightline.connections.ConnectionSpec;
import io.sightline.connections.ConnectionType;
import io.sightline.connections.FieldSpec;
import io.sightline.connections.Provisioning;
import io.sightline.connections.agentidentity.AgentIdentityConnection;
import io.sightline.connections.azuresubscription.AzureSubscriptionConnection;
import io.sightline.connections.kubeconfig.KubeconfigConnection;
import io.sightline.connections.serviceaccount.ServiceAccountConnection;
import io.sightline.core.AuditEvent;
import io.sightline.core.Role;
import io.sightline.core.SecretValue;
import io.sightline.core.SightlineException;
import io.sightline.kubernetes.ClusterAccess;
import io.sightline.kubernetes.ProbeOptions;
import io.sightline.kubernetes.provision.DeployerRole;
import io.sightline.kubernetes.provision.DeprovisionResult;
import io.sightline.kubernetes.provision.ObjectRef;
import io.sightline.kubernetes.provision.ProvisionResult;
import io.sightline.kubernetes.provision.ProvisionSpec;
import io.sightline.kubernetes.provision.Provisioner;
import io.sightline.server.http.ApiRoute;
import io.sightline.server.http.Call;
import io.sightline.server.http.ProblemException;
import io.sightline.server.routes.ConnectionBodies.ConnectionBody;
import io.sightline.server.routes.ConnectionBodies.DeleteBody;
import io.sightline.server.routes.ConnectionBodies.HardenBody;
import io.sightline.store.Connections;
import io.sightline.store.Connections.ConnectionRecord;
import io.sightline.store.Connections.ConnectionWrite;
import io.sightline.store.Connections.ProvisioningState;
import io.sightline.store.Store;
import io.sightline.store.StoreTx;
import io.sightline.store.Trust.PipelinePermissions;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /api/v1/connections}: create, list, show, update, delete, verify, namespaces, probe an
 * unsaved spec, harden, and import from Azure DevOps. Secret fields are write-only; every change,
 * probe and provisioning step is an audit record written in the transaction of the change.
 */
public final class ConnectionRoutes {
  private static final Logger log = LoggerFactory.getLogger(ConnectionRoutes.class);
  static final ObjectMapper JSON = new ObjectMapper();
  private static final String BASE = "/api/v1/connections";

  /** The view of a connection (documented loosely: its fields depend on the kind). */
  public record ConnectionView(
      String id,
      String name,
      String kind,
      String authorizationType,
      String serverUrl,
      boolean hasSecret,
      List<String> secretFields,
      boolean verified,
      Instant verifiedAt,
      Map<String, Object> lastProbe,
      String homeNamespace,
      Map<String, String> deployers,
      boolean clusterAdmin,
      boolean allPowerful,
      List<String> warnings,
      Instant createdAt,
      Instant updatedAt) {}

  public record ConnectionList(List<ConnectionView> items) {}

  /** What {@code sightline connection manifests NAME} prints ({@code yaml}). */
  public record ManifestsView(String connection, String yaml) {}

  public record NamespacesView(
      List<String> namespaces,
      boolean forbidden,
      @com.fasterxml.jackson.annotation.JsonInclude(
              com.fasterxml.jackson.annotation.JsonInclude.Include.ALWAYS)
          Object diagnosis,
      List<String> warnings) {}

  public record VerificationView(
      Instant at, boolean ok, String diagnosis, Map<String, Object> summary) {}

  public record VerificationList(List<VerificationView> items) {}

  public record DeleteResult(
      String deleted, List<String> deprovisioned, List<String> leftBehind, List<String> warnings) {}

  private final Services s;
  private final AzureRmRoutes azurerm;

  private ConnectionRoutes(Services s, AzureRmRoutes azurerm) {
    this.s = s;
    this.azurerm = azurerm;
  }

  /**
   * @param azurerm what the azurerm kind does on the server (its pick-list routes are registered
   *     separately, from {@link AzureRmRoutes#routes()})
   */
  public static List<ApiRoute> routes(Services s, AzureRmRoutes azurerm) {
    ConnectionRoutes r = new ConnectionRoutes(s, azurerm);
    AzureDevOpsImport importer = new AzureDevOpsImport(s);
    return List.of(
        ApiRoute.post(BASE, Role.CREATOR, "Create a connection (verified unless ?verify=false)")
            .body(ConnectionBody.class)
            .returns(201, ConnectionView.class)
            .query("verify", "boolean", "false: save without verification (default true)")
            .query("timeout", "duration", "probe deadline, e.g. 5s (default 10s, max 60s)")
            .handle(r::create),
        ApiRoute.get(BASE, Role.USER, "List connections (never their secrets)")
            .returns(ConnectionList.class)
            .handle(c -> r.list()),
        ApiRoute.post(BASE + "/probe", Role.USER, "Probe an unsaved connection spec")
            .body(ConnectionBody.class)
            .returns(ProbeResult.class)
            .query("timeout", "duration", "probe deadline (default 10s, max 60s)")
            .handle(r::probeUnsaved),
        ApiRoute.post(
                BASE + "/import/azure-devops",
                Role.CREATOR,
                "Import Azure DevOps kubernetes and azurerm service endpoints (unverified)")
            .returns(AzureDevOpsImport.ImportResult.class)
            .query("dryRun", "boolean", "true: only say what would be created")
            .handle(importer::handle),
        ApiRoute.get(BASE + "/{name}", Role.USER, "Show a connection (never its secrets)")
            .returns(ConnectionView.class)
            .handle(r::show),
        ApiRoute.put(BASE + "/{name}", Role.CREATOR, "Update a connection (omitted secrets kept)")
            .body(ConnectionBody.class)
            .returns(ConnectionView.class)
            .query("verify", "boolean", "false: save without verification (default true)")
            .query("timeout", "duration", "probe deadline (default 10s, max 60s)")
            .handle(r::update),
        ApiRoute.delete(BASE + "/{name}", Role.CREATOR, "Delete a connection, deprovisioning it")
            .body(DeleteBody.class)
            .returns(200, DeleteResult.class)
            .query("force", "boolean", "true: delete even if cluster objects are left behind")
            .query("timeout", "duration", "reachability deadline (default 10s)")
            .handle(r::delete),
        ApiRoute.post(BASE + "/{name}/verify", Role.USER, "Probe a saved connection and record it")
            .returns(ProbeResult.class)
            .query("timeout", "duration", "probe deadline (default 10s, max 60s)")
            .handle(r::verify),
        ApiRoute.get(BASE + "/{name}/verifications", Role.USER, "Verification history")
            .returns(VerificationList.class)
            .handle(r::verifications),
        ApiRoute.get(BASE + "/{name}/namespaces", Role.USER, "List the cluster's namespaces")
            .returns(NamespacesView.class)
            .query("timeout", "duration", "probe deadline (default 10s, max 60s)")
            .handle(r::namespaces),
        ApiRoute.get(
                BASE + "/{name}/manifests",
                Role.USER,
                "The YAML an admin applies for an AgentIdentity connection (namespaces, deployers,"
                    + " RoleBindings, the agent's RBAC)")
            .returns(ManifestsView.class)
            .handle(r::manifests),
        ApiRoute.post(
                BASE + "/{name}/harden",
                Role.CREATOR,
                "Provision home namespace, minter and deployers; keep only the minter token")
            .body(HardenBody.class)
            .returns(ConnectionView.class)
            .query("timeout", "duration", "probe deadline (default 10s, max 60s)")
            .handle(r::harden));
  }

  // ------------------------------------------------------------------ create

  private Object create(Call c) {
    boolean verify = ConnectionBodies.flag(c, "verify", true);
    Duration timeout = ConnectionBodies.timeout(c);
    JsonNode tree = ConnectionBodies.tree(c, true);
    PipelinePermissions perms = ConnectionBodies.takePipelinePermissions(tree);
    ConnectionSpec spec = ConnectionRequests.parse(tree, Set.of());
    ConnectionType type = spec.type();
    type.validate(spec);
    if (s.store().transact(tx -> tx.connections().find(spec.name())).isPresent()) {
      throw exists(spec.name());
    }
    if (spec.kind().isAzureRm()) {
      return azurerm.create(c, spec, verify, timeout);
    }
    c.context().status(201);
    if (!verify) {
      ConnectionRecord rec =
          s.store()
              .transact(
                  tx -> {
                    ConnectionRecord r =
                        tx.connections()
                            .create(write(spec, serverUrlOf(spec), false, null), c.actor());
                    declareAgentIdentity(tx, r, spec);
                    audit(tx, c, "connection.create", r, "success", Map.of("verified", false));
                    permit(tx, c, r, perms);
                    return r;
                  });
      return view(rec);
    }
    if (type.provisionsOnCreate()) {
      ConnectionSpec full = azurerm.withAdminKubeconfig(c, spec, timeout);
      s.probeLimiter().acquire(c.actor());
      return createProvisioned(c, full, (AzureSubscriptionConnection) type, timeout, perms);
    }
    s.probeLimiter().acquire(c.actor());
    ClusterAccess access = type.access(spec);
    ProbeResult probe = probe(ops(spec), access, timeout, type.targetNamespaces(spec));
    if (!probe.ok()) {
      auditProbeFailure(c, "connection.create", spec.name(), access.server(), probe);
      throw verificationFailed(spec.name(), probe);
    }
    ConnectionRecord rec =
        s.store()
            .transact(
                tx -> {
                  Instant now = s.clock().instant();
                  ConnectionRecord r =
                      tx.connections().create(write(spec, access.server(), true, now), c.actor());
                  declareAgentIdentity(tx, r, spec);
                  recordProbe(tx, c, r, access.server(), probe, "connection.verify");
                  audit(tx, c, "connection.create", r, "success", Map.of("verified", true));
                  permit(tx, c, r, perms);
                  return r;
                });
    return view(rec);
  }

  private Object createProvisioned(
      Call c,
      ConnectionSpec spec,
      AzureSubscriptionConnection type,
      Duration timeout,
      PipelinePermissions perms) {
    ClusterAccess admin = type.access(spec);
    ProvisionSpec pspec = type.provisionSpec(spec);
    ProvisionResult result = provision(c, ops(spec), spec.name(), admin, pspec);
    ClusterAccess minter = minterAccess(admin, result);
    ProbeResult probe;
    try {
      probe = probe(ops(spec), minter, timeout, pspec.targetNamespaces());
    } catch (RuntimeException e) {
      rollback(c, ops(spec), spec.name(), admin, pspec);
      throw e;
    }
    if (!probe.ok()) {
      rollback(c, ops(spec), spec.name(), admin, pspec);
      auditProbeFailure(c, "connection.create", spec.name(), admin.server(), probe);
      throw verificationFailed(spec.name(), probe);
    }
    try {
      ConnectionRecord rec =
          s.store()
              .transact(
                  tx -> {
                    Instant now = s.clock().instant();
                    ConnectionRecord r =
                        tx.connections().create(write(spec, admin.server(), true, now), c.actor());
                    storeProvisioning(tx, r.id(), admin, pspec, result);
                    audit(tx, c, "connection.provision", r, "success", provisionDetails(result));
                    recordProbe(tx, c, r, admin.server(), probe, "connection.verify");
                    audit(tx, c, "connection.create", r, "success", Map.of("verified", true));
                    permit(tx, c, r, perms);
                    return r;
                  });
      return view(rec);
    } catch (RuntimeException e) {
      rollback(c, ops(spec), spec.name(), admin, pspec);
      throw e;
    }
  }

  /**
   * An AgentIdentity connection is "provisioned" by the administrator who applies its manifests:
   * the store keeps its home namespace and deployers (and the URL), never a credential.
   */
  private static void declareAgentIdentity(StoreTx tx, ConnectionRecord r, ConnectionSpec spec) {
    if (spec.kind() != ConnectionKind.KUBERNETES_AGENT_IDENTITY) {
      return;
    }
    AgentIdentityConnection type = AgentIdentityConnection.TYPE;
    ProvisionSpec pspec = type.provisionSpec(spec);
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("serverUrl", type.access(spec).server());
    details.put("agentIdentity", true);
    details.put("targetNamespaces", pspec.targetNamespaces());
    details.put("deployerRole", pspec.deployerRole().clusterRole());
    tx.connections()
        .setProvisioning(
            r.id(),
            new ProvisioningState(pspec.homeNamespace(), type.deployers(spec), details, true, null),
            null);
  }

  /** The manifests an administrator applies for an AgentIdentity connection (YAML). */
  private Object manifests(Call c) {
    Loaded l = load(c.pathParam("name"));
    if (l.spec().kind() != ConnectionKind.KUBERNETES_AGENT_IDENTITY) {
      throw SightlineException.badRequest(
          "NOT_AGENT_IDENTITY",
          "authorizationType",
          "manifests are printed for AgentIdentity connections only; connection "
              + l.record().name()
              + " is "
              + l.spec().kind().authorizationType()
              + " (Sightline provisions it itself)");
    }
    return new ManifestsView(
        l.record().name(), AgentIdentityConnection.TYPE.manifests(l.spec()).toYaml());
  }

  /** Pipeline permissions given on create; none given: no pipeline may use it (the default). */
  private static void permit(StoreTx tx, Call c, ConnectionRecord r, PipelinePermissions perms) {
    if (perms != null) {
      TrustRoutes.store(tx, c, r, perms);
    }
  }

  private ProvisionResult provision(
      Call c, ClusterOperations ops, String name, ClusterAccess admin, ProvisionSpec pspec) {
    try {
      return ops.provision(admin, pspec);
    } catch (RuntimeException e) {
      String reason = e instanceof SightlineException se ? se.code() : e.getClass().getSimpleName();
      auditUnsaved(
          s.store(),
          c,
          "connection.provision",
          name,
          "failure",
          Map.of("serverUrl", admin.server(), "reason", reason));
      if (e instanceof SightlineException) {
        throw e;
      }
      log.warn("provisioning {} failed: {}", name, e.toString());
      throw new SightlineException(
          "PROVISIONING_FAILED",
          422,
          "adminKubeconfig",
          "provisioning in the cluster failed ("
              + e.getClass().getSimpleName()
              + "); nothing was kept: check that adminKubeconfig is cluster-admin and the"
              + " cluster answers",
          null,
          null);
    }
  }

  private void rollback(
      Call c, ClusterOperations ops, String name, ClusterAccess admin, ProvisionSpec pspec) {
    DeprovisionResult d;
    try {
      d = ops.deprovision(admin, pspec);
    } catch (RuntimeException e) {
      log.warn("rolling back the provisioning of {} failed: {}", name, e.toString());
      d =
          new DeprovisionResult(
              List.of(), List.of("rollback failed: " + e.getClass().getSimpleName()), List.of());
    }
    DeprovisionResult done = d;
    auditUnsaved(
        s.store(),
        c,
        "connection.deprovision",
        name,
        done.complete() ? "success" : "failure",
        Map.of(
            "reason", "rollback",
            "deleted", refs(done.deleted()),
            "leftBehind", done.leftBehind()));
  }

  private static ClusterAccess minterAccess(ClusterAccess admin, ProvisionResult result) {
    String ca = result.caPem() != null ? result.caPem() : admin.caPem();
    return Provisioning.minterAccess(
        admin.server(), ca, admin.insecureSkipTlsVerify(), result.minterToken());
  }

  private static void storeProvisioning(
      StoreTx tx, String id, ClusterAccess admin, ProvisionSpec pspec, ProvisionResult result) {
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("serverUrl", admin.server());
    String ca = result.caPem() != null ? result.caPem() : admin.caPem();
    if (ca != null) {
      details.put("caPem", ca);
    }
    details.put("acceptUntrustedCerts", admin.insecureSkipTlsVerify());
    details.put("targetNamespaces", pspec.targetNamespaces());
    details.put("createNamespace", pspec.createNamespace());
    details.put("clusterAdmin", pspec.clusterAdmin());
    details.put("deployerRole", pspec.deployerRole().clusterRole());
    details.put("minterServiceAccount", result.minterServiceAccount());
    details.put("minterTokenSecret", result.minterTokenSecret());
    if (result.kubernetesVersion() != null) {
      details.put("kubernetesVersion", result.kubernetesVersion());
    }
    tx.connections()
        .setProvisioning(
            id,
            new ProvisioningState(result.homeNamespace(), result.deployers(), details, true, null),
            result.minterToken());
  }

  private static Map<String, Object> provisionDetails(ProvisionResult r) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("homeNamespace", r.homeNamespace());
    d.put("deployers", r.deployers());
    d.put("created", refs(r.created()));
    d.put("updated", refs(r.updated()));
    d.put("deleted", refs(r.deleted()));
    if (r.kubernetesVersion() != null) {
      d.put("kubernetesVersion", r.kubernetesVersion());
    }
    return d;
  }

  private static List<String> refs(List<ObjectRef> refs) {
    return refs.stream().map(ObjectRef::toString).toList();
  }

  // ------------------------------------------------------------------ read

  private ObjectNode list() {
    return s.store()
        .transact(
            tx -> {
              ObjectNode out = JSON.createObjectNode();
              var items = out.putArray("items");
              for (ConnectionRecord r : tx.connections().list()) {
                items.add(azurerm.decorate(view(tx, r)));
              }
              return out;
            });
  }

  private ObjectNode show(Call c) {
    String name = c.pathParam("name");
    return s.store().transact(tx -> azurerm.decorate(view(tx, find(tx, name))));
  }

  private ObjectNode view(ConnectionRecord r) {
    return s.store().transact(tx -> view(tx, tx.connections().findById(r.id()).orElse(r)));
  }

  /** The redacted view: non-secret fields, hasSecret/secretFields, state, warnings. */
  static ObjectNode view(StoreTx tx, ConnectionRecord r) {
    ConnectionKind kind = ConnectionKind.fromWire(r.kind(), r.authorizationType());
    ConnectionSpec spec =
        ConnectionRequests.fromStored(r.name(), kind, r.description(), r.fields(), Map.of());
    ObjectNode base = ConnectionRequests.view(spec, r.secretFields());
    ObjectNode out = JSON.createObjectNode();
    out.put("id", r.id());
    out.setAll(base);
    if (r.serverUrl() != null) {
      out.put("serverUrl", r.serverUrl());
    }
    out.put("verified", r.verified());
    if (r.verifiedAt() != null) {
      out.put("verifiedAt", r.verifiedAt().toString());
    } else {
      out.putNull("verifiedAt");
    }
    List<String> warnings = new ArrayList<>();
    List<Connections.Verification> last = tx.connections().verifications(r.id(), 1);
    if (last.isEmpty()) {
      out.putNull("lastProbe");
    } else {
      Connections.Verification v = last.get(0);
      ObjectNode lp = out.putObject("lastProbe");
      lp.put("at", v.at().toString());
      lp.put("ok", v.ok());
      if (v.diagnosis() == null) {
        lp.putNull("diagnosis");
      } else {
        lp.put("diagnosis", v.diagnosis());
      }
      if (v.summary().get("warnings") instanceof List<?> w) {
        w.forEach(x -> warnings.add(String.valueOf(x)));
      }
    }
    boolean clusterAdmin = spec.values().get("clusterAdmin") instanceof Boolean b && b;
    ProvisioningState p = r.provisioning();
    if (p != null) {
      out.put("homeNamespace", p.homeNamespace());
      ObjectNode d = out.putObject("deployers");
      p.deployers().forEach(d::put);
      clusterAdmin |= Boolean.TRUE.equals(p.details().get("clusterAdmin"));
      Object role = p.details().get("deployerRole");
      if (role != null) {
        out.put("deployerRole", role.toString());
      }
    }
    out.put("clusterAdmin", clusterAdmin);
    out.put("allPowerful", clusterAdmin);
    if (clusterAdmin) {
      warnings.add(
          "clusterAdmin: every task of this connection is all-powerful in the cluster"
              + " (cluster-admin)");
    }
    if (kind == ConnectionKind.KUBERNETES_AZURE_SUBSCRIPTION && p == null) {
      out.put("needsProvisioning", true);
      warnings.add(
          "not provisioned yet: update it with adminKubeconfig (and namespaces) to provision the"
              + " home namespace, minter and deployers");
    }
    if (!r.verified()) {
      warnings.add(
          "not verified: run 'sightline connection verify "
              + r.name()
              + "' when the cluster is"
              + " reachable");
    }
    var w = out.putArray("warnings");
    warnings.stream().distinct().forEach(w::add);
    out.set(
        "pipelinePermissions", JSON.valueToTree(TrustRoutes.wire(tx.trust().permissions(r.id()))));
    out.put("createdAt", r.createdAt().toString());
    out.put("updatedAt", r.updatedAt().toString());
    return out;
  }

  private static ConnectionRecord find(StoreTx tx, String name) {
    return tx.connections()
        .find(name)
        .orElseThrow(
            () ->
                SightlineException.notFound(
                    "CONNECTION_NOT_FOUND",
                    "no connection named "
                        + name
                        + ": list them with GET /api/v1/connections (sightline connection list)"));
  }

  private record Loaded(ConnectionRecord record, ConnectionSpec spec, SecretValue minterToken) {}

  private Loaded load(String name) {
    return s.store()
        .transact(
            tx -> {
              ConnectionRecord r = find(tx, name);
              ConnectionKind kind = ConnectionKind.fromWire(r.kind(), r.authorizationType());
              Map<String, SecretValue> secrets = tx.connections().secrets(r.id());
              SecretValue minter = tx.connections().minterToken(r.id()).orElse(null);
              return new Loaded(
                  r,
                  ConnectionRequests.fromStored(
                      r.name(), kind, r.description(), r.fields(), secrets),
                  minter);
            });
  }

  /** How to reach the cluster with what is stored. */
  private static ClusterAccess savedAccess(Loaded l) {
    if (l.spec().kind() == ConnectionKind.KUBERNETES_AZURE_SUBSCRIPTION) {
      ProvisioningState p = l.record().provisioning();
      if (p == null || l.minterToken() == null) {
        throw SightlineException.conflict(
            "NOT_PROVISIONED",
            "connection "
                + l.record().name()
                + " is not provisioned yet: update it with adminKubeconfig and namespaces (PUT"
                + " /api/v1/connections/"
                + l.record().name()
                + ") to provision it");
      }
      return provisionedAccess(p, l.minterToken());
    }
    return l.spec().type().access(l.spec());
  }

  private static ClusterAccess provisionedAccess(ProvisioningState p, SecretValue minter) {
    Object ca = p.details().get("caPem");
    return Provisioning.minterAccess(
        String.valueOf(p.details().get("serverUrl")),
        ca == null ? null : ca.toString(),
        Boolean.TRUE.equals(p.details().get("acceptUntrustedCerts")),
        minter);
  }

  @SuppressWarnings("unchecked")
  private static List<String> targetNamespaces(Loaded l) {
    ProvisioningState p = l.record().provisioning();
    if (p != null && p.details().get("targetNamespaces") instanceof List<?> ns) {
      return (List<String>) ns;
    }
    return l.spec().type().targetNamespaces(l.spec());
  }

  // ------------------------------------------------------------------ probes

  private ProbeResult probe(
      ClusterOperations ops, ClusterAccess access, Duration timeout, List<String> namespaces) {
    return ops.probe(access, new ProbeOptions(timeout, namespaces));
  }

  /** Where the connection's cluster operations run: here, or on an agent of its via pool. */
  private ClusterOperations ops(ConnectionSpec spec) {
    return s.operations().of(spec.kind(), spec.values());
  }

  private ClusterOperations ops(ConnectionRecord r) {
    return s.operations().of(ConnectionKind.fromWire(r.kind(), r.authorizationType()), r.fields());
  }

  static String diagnosisCode(ProbeResult r) {
    if (r.diagnosis() != null) {
      return r.diagnosis().code().name();
    }
    return r.namespacesForbidden() ? "FORBIDDEN_NAMESPACES" : null;
  }

  static List<String> warnings(ProbeResult r) {
    List<String> out = new ArrayList<>(r.warnings());
    boolean said = out.stream().anyMatch(w -> w.startsWith("FORBIDDEN_NAMESPACES"));
    if (r.ok() && r.namespacesForbidden() && !said) {
      out.add(
          "FORBIDDEN_NAMESPACES: the credential may not list namespaces; the connection works,"
              + " type the namespace instead of picking it");
    }
    return out;
  }

  /** A probe's summary for history and audit: never a secret. */
  static Map<String, Object> summary(ProbeResult r, String serverUrl) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("ok", r.ok());
    m.put("serverUrl", serverUrl);
    String code = diagnosisCode(r);
    if (code != null) {
      m.put("diagnosis", code);
    }
    if (r.diagnosis() != null) {
      m.put("message", r.diagnosis().message());
      if (r.diagnosis().hint() != null) {
        m.put("hint", r.diagnosis().hint());
      }
    }
    if (r.serverVersion() != null) {
      m.put("serverVersion", r.serverVersion());
    }
    if (r.identity() != null && r.identity().username() != null) {
      m.put("identity", r.identity().username());
    }
    m.put("namespacesForbidden", r.namespacesForbidden());
    m.put("warnings", warnings(r));
    m.put("durationMillis", r.durationMillis());
    return m;
  }

  private void recordProbe(
      StoreTx tx, Call c, ConnectionRecord r, String serverUrl, ProbeResult probe, String action) {
    Instant now = s.clock().instant();
    tx.connections()
        .addVerification(
            r.id(),
            new Connections.Verification(
                now, probe.ok(), diagnosisCode(probe), summary(probe, serverUrl)));
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("serverUrl", serverUrl);
    d.put("ok", probe.ok());
    String code = diagnosisCode(probe);
    if (code != null) {
      d.put("diagnosis", code);
    }
    audit(tx, c, action, r, probe.ok() ? "success" : "failure", d);
  }

  private void auditProbeFailure(
      Call c, String action, String name, String serverUrl, ProbeResult probe) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("serverUrl", serverUrl);
    d.put("ok", false);
    d.put("diagnosis", diagnosisCode(probe));
    d.put("saved", false);
    auditUnsaved(s.store(), c, action, name, "failure", d);
  }

  private static ProblemException verificationFailed(String name, ProbeResult probe) {
    String hint = probe.diagnosis().hint();
    return new ProblemException(
        "VERIFICATION_FAILED",
        422,
        null,
        "verifying connection "
            + name
            + " failed with "
            + probe.diagnosis().code()
            + ": "
            + probe.diagnosis().message()
            + (hint == null ? "" : " — " + hint)
            + ". Nothing was saved; fix it, or save without verification (?verify=false,"
            + " --no-verify).",
        Map.of("probe", probe));
  }

  private record SavedProbe(ClusterAccess access, ProbeResult probe) {}

  /**
   * Probes the saved connection {@code name} within the call's timeout, rate-limited per caller.
   */
  private SavedProbe probeSaved(Call c, String name) {
    Duration timeout = ConnectionBodies.timeout(c);
    Loaded l = load(name);
    ClusterAccess access = savedAccess(l);
    s.probeLimiter().acquire(c.actor());
    return new SavedProbe(access, probe(ops(l.record()), access, timeout, targetNamespaces(l)));
  }

  private Object verify(Call c) {
    String name = c.pathParam("name");
    if (azurerm.isAzureRm(name)) {
      return azurerm.verifySaved(c, name);
    }
    SavedProbe saved = probeSaved(c, name);
    ClusterAccess access = saved.access();
    ProbeResult probe = saved.probe();
    s.store()
        .transact(
            tx -> {
              ConnectionRecord r = find(tx, name);
              tx.connections().setVerified(r.id(), probe.ok(), s.clock().instant());
              recordProbe(tx, c, r, access.server(), probe, "connection.verify");
              return null;
            });
    return probe;
  }

  private Object verifications(Call c) {
    String name = c.pathParam("name");
    Integer limit = c.queryInt("limit", 1, 1000);
    return s.store()
        .transact(
            tx -> {
              ConnectionRecord r = find(tx, name);
              List<VerificationView> items =
                  tx.connections().verifications(r.id(), limit == null ? 100 : limit).stream()
                      .map(v -> new VerificationView(v.at(), v.ok(), v.diagnosis(), v.summary()))
                      .toList();
              return new VerificationList(items);
            });
  }

  private Object namespaces(Call c) {
    String name = c.pathParam("name");
    SavedProbe saved = probeSaved(c, name);
    ClusterAccess access = saved.access();
    ProbeResult probe = saved.probe();
    s.store()
        .transact(
            tx -> {
              Map<String, Object> d = new LinkedHashMap<>();
              d.put("serverUrl", access.server());
              d.put("ok", probe.ok());
              String code = diagnosisCode(probe);
              if (code != null) {
                d.put("diagnosis", code);
              }
              audit(
                  tx, c, "connection.probe", find(tx, name), probe.ok() ? "success" : "failure", d);
              return null;
            });
    return new NamespacesView(
        probe.namespaces() == null ? List.of() : probe.namespaces(),
        probe.namespacesForbidden(),
        probe.diagnosis(),
        warnings(probe));
  }

  private Object probeUnsaved(Call c) {
    Duration timeout = ConnectionBodies.timeout(c);
    JsonNode body = ConnectionBodies.tree(c, true);
    if (!body.has("name")) {
      ((ObjectNode) body).put("name", "unsaved");
    }
    ConnectionSpec spec = ConnectionRequests.parse(body, Set.of());
    ConnectionType type = spec.type();
    type.validate(spec);
    if (spec.kind().isAzureRm()) {
      return azurerm.probeUnsaved(c, spec, timeout);
    }
    ClusterAccess access = type.access(spec);
    s.probeLimiter().acquire(c.actor());
    ProbeResult probe = probe(ops(spec), access, timeout, type.targetNamespaces(spec));
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("serverUrl", access.server());
    d.put("ok", probe.ok());
    d.put("saved", false);
    String code = diagnosisCode(probe);
    if (code != null) {
      d.put("diagnosis", code);
    }
    auditUnsaved(
        s.store(), c, "connection.probe", spec.name(), probe.ok() ? "success" : "failure", d);
    return probe;
  }

  // ------------------------------------------------------------------ update

  private Object update(Call c) {
    String name = c.pathParam("name");
    boolean verify = ConnectionBodies.flag(c, "verify", true);
    Duration timeout = ConnectionBodies.timeout(c);
    JsonNode body = ConnectionBodies.tree(c, true);
    Loaded l = load(name);
    String bodyName = ConnectionBodies.string(body, "name");
    if (bodyName == null) {
      ((ObjectNode) body).put("name", name);
    } else if (!bodyName.equals(name)) {
      throw SightlineException.badRequest(
          "NAME_MISMATCH",
          "name",
          "the body names "
              + bodyName
              + " but the path names "
              + name
              + ": connections cannot be renamed; create a new one");
    }
    PipelinePermissions perms = ConnectionBodies.takePipelinePermissions(body);
    if (perms != null
        && !perms.equals(s.store().transact(tx -> tx.trust().permissions(l.record().id())))) {
      throw SightlineException.badRequest(
          "USE_PIPELINE_PERMISSIONS_ROUTE",
          "pipelinePermissions",
          "change pipeline permissions with PUT /api/v1/connections/"
              + name
              + "/pipeline-permissions (sightline connection permit), not with the connection");
    }
    ConnectionSpec given = ConnectionRequests.parse(body, l.record().secretFields());
    ConnectionType type = given.type();
    Map<String, SecretValue> kept = new LinkedHashMap<>();
    Set<String> remove = new HashSet<>();
    for (Map.Entry<String, SecretValue> e : l.spec().secrets().entrySet()) {
      FieldSpec f = declared(type, e.getKey());
      if (f != null && f.secret() && f.stored()) {
        kept.put(e.getKey(), e.getValue());
      } else {
        remove.add(e.getKey());
      }
    }
    for (String drop : io.sightline.connections.azurerm.AzureRmConnection.secretsToDrop(given)) {
      if (kept.remove(drop) != null) {
        remove.add(drop);
      }
    }
    ConnectionSpec merged = given.withSecretsKept(kept);
    type.validate(merged);
    if (merged.kind().isAzureRm()) {
      return azurerm.update(c, l.record(), merged, remove, verify, timeout);
    }
    ConnectionSpec spec = verify ? azurerm.withAdminKubeconfig(c, merged, timeout) : merged;
    ProvisioningState oldProvisioning = l.record().provisioning();
    boolean azure = spec.kind() == ConnectionKind.KUBERNETES_AZURE_SUBSCRIPTION;
    boolean reprovision =
        azure && spec.secret(AzureSubscriptionConnection.ADMIN_KUBECONFIG) != null;
    if (!verify && !reprovision) {
      ConnectionRecord rec =
          s.store()
              .transact(
                  tx -> {
                    String server =
                        azure && oldProvisioning != null
                            ? l.record().serverUrl()
                            : serverUrlOf(spec);
                    ConnectionRecord r =
                        tx.connections()
                            .update(l.record().id(), write(spec, server, false, null), remove);
                    declareAgentIdentity(tx, r, spec);
                    audit(tx, c, "connection.update", r, "success", Map.of("verified", false));
                    return r;
                  });
      return view(rec);
    }
    s.probeLimiter().acquire(c.actor());
    ClusterAccess access;
    ProvisionResult result = null;
    ProvisionSpec pspec = null;
    ClusterAccess admin = null;
    if (reprovision) {
      AzureSubscriptionConnection az = (AzureSubscriptionConnection) type;
      admin = az.access(spec);
      pspec = az.provisionSpec(spec);
      result = provision(c, ops(spec), name, admin, pspec);
      access = minterAccess(admin, result);
    } else if (azure) {
      if (oldProvisioning == null || l.minterToken() == null) {
        throw SightlineException.badRequest(
            "MISSING_FIELD",
            AzureSubscriptionConnection.ADMIN_KUBECONFIG,
            "connection "
                + name
                + " is not provisioned: give adminKubeconfig to provision it, or save with"
                + " ?verify=false");
      }
      access = provisionedAccess(oldProvisioning, l.minterToken());
    } else {
      access = type.access(spec);
    }
    List<String> namespaces =
        pspec != null ? pspec.targetNamespaces() : type.targetNamespaces(spec);
    ProbeResult probe = probe(ops(spec), access, timeout, namespaces);
    if (!probe.ok()) {
      auditProbeFailure(c, "connection.update", name, access.server(), probe);
      throw verificationFailed(name, probe);
    }
    ProvisionResult finalResult = result;
    ProvisionSpec finalPspec = pspec;
    ClusterAccess finalAdmin = admin;
    ConnectionRecord rec =
        s.store()
            .transact(
                tx -> {
                  Instant now = s.clock().instant();
                  ConnectionRecord r =
                      tx.connections()
                          .update(l.record().id(), write(spec, access.server(), true, now), remove);
                  declareAgentIdentity(tx, r, spec);
                  if (finalResult != null) {
                    storeProvisioning(tx, r.id(), finalAdmin, finalPspec, finalResult);
                    audit(
                        tx, c, "connection.provision", r, "success", provisionDetails(finalResult));
                  }
                  recordProbe(tx, c, r, access.server(), probe, "connection.verify");
                  audit(tx, c, "connection.update", r, "success", Map.of("verified", true));
                  return r;
                });
    return view(rec);
  }

  private static FieldSpec declared(ConnectionType type, String name) {
    return type.fields().stream().filter(f -> f.name().equals(name)).findFirst().orElse(null);
  }

  // ------------------------------------------------------------------ delete

  private Object delete(Call c) {
    String name = c.pathParam("name");
    boolean force = ConnectionBodies.flag(c, "force", false);
    Duration timeout = ConnectionBodies.timeout(c);
    JsonNode body = ConnectionBodies.tree(c, false);
    if (body != null) {
      for (var it = body.fieldNames(); it.hasNext(); ) {
        String f = it.next();
        if (!f.equals("adminKubeconfig") && !f.equals("clusterContext")) {
          throw SightlineException.badRequest(
              "UNKNOWN_FIELD",
              f,
              "unknown field \"" + f + "\": remove it (accepted: adminKubeconfig, clusterContext)");
        }
      }
    }
    Loaded l = load(name);
    ProvisioningState p = l.record().provisioning();
    List<String> deleted = new ArrayList<>();
    List<String> leftBehind = new ArrayList<>();
    List<String> warnings = new ArrayList<>();
    boolean agentIdentity = l.spec().kind() == ConnectionKind.KUBERNETES_AGENT_IDENTITY;
    if (agentIdentity) {
      // Sightline never provisioned it: the administrator removes what they applied.
      warnings.add(
          "AgentIdentity: Sightline created nothing in the cluster; remove what 'sightline"
              + " connection manifests "
              + name
              + "' printed (kubectl delete -f) if it is no longer needed");
    }
    if (p != null && !agentIdentity) {
      ProvisionSpec pspec = provisionSpecOf(name, p);
      String adminKubeconfig = ConnectionBodies.string(body, "adminKubeconfig");
      ClusterAccess access;
      if (adminKubeconfig != null) {
        access =
            AzureSubscriptionConnection.parseAdminKubeconfig(
                adminKubeconfig, ConnectionBodies.string(body, "clusterContext"));
      } else if (l.minterToken() != null) {
        access = provisionedAccess(p, l.minterToken());
      } else {
        access = savedAccess(l);
      }
      s.probeLimiter().acquire(c.actor());
      ProbeResult reach = probe(ops(l.record()), access, timeout, List.of());
      if (!reach.ok()) {
        new Provisioner()
            .plan(pspec)
            .refs()
            .forEach(
                ref ->
                    leftBehind.add(
                        ref + ": the cluster could not be reached (" + diagnosisCode(reach) + ")"));
      } else {
        DeprovisionResult d = ops(l.record()).deprovision(access, pspec);
        deleted.addAll(refs(d.deleted()));
        leftBehind.addAll(d.leftBehind());
        warnings.addAll(d.warnings());
      }
      if (!leftBehind.isEmpty() && adminKubeconfig == null) {
        warnings.add(
            "the stored minter token may not delete bindings in the target namespaces: give a"
                + " cluster-admin kubeconfig as adminKubeconfig in the DELETE body to remove"
                + " everything");
      }
      if (!leftBehind.isEmpty() && !force) {
        s.store()
            .transact(
                tx -> {
                  audit(
                      tx,
                      c,
                      "connection.deprovision",
                      l.record(),
                      "failure",
                      Map.of("deleted", deleted, "leftBehind", leftBehind));
                  return null;
                });
        throw new ProblemException(
            "DEPROVISION_FAILED",
            409,
            null,
            "connection "
                + name
                + " was not deleted: "
                + leftBehind.size()
                + " object(s) would be left in the cluster ("
                + String.join("; ", leftBehind.subList(0, Math.min(3, leftBehind.size())))
                + (leftBehind.size() > 3 ? "; …" : "")
                + "). Give adminKubeconfig in the body, retry when the cluster is reachable, or"
                + " delete anyway with ?force=true (the objects are listed in the answer).",
            Map.of("deleted", deleted, "leftBehind", leftBehind, "warnings", warnings));
      }
    }
    s.store()
        .transact(
            tx -> {
              ConnectionRecord r = find(tx, name);
              if (p != null && !agentIdentity) {
                audit(
                    tx,
                    c,
                    "connection.deprovision",
                    r,
                    leftBehind.isEmpty() ? "success" : "failure",
                    Map.of("deleted", deleted, "leftBehind", leftBehind, "forced", force));
              }
              tx.connections().delete(r.id());
              audit(
                  tx,
                  c,
                  "connection.delete",
                  r,
                  "success",
                  Map.of("leftBehind", leftBehind.size(), "forced", force));
              return null;
            });
    c.context().status(200);
    return new DeleteResult(name, deleted, leftBehind, warnings);
  }

  @SuppressWarnings("unchecked")
  private static ProvisionSpec provisionSpecOf(String name, ProvisioningState p) {
    Map<String, Object> d = p.details();
    List<String> targets =
        d.get("targetNamespaces") instanceof List<?> l ? (List<String>) l : List.of();
    if (targets.isEmpty()) {
      targets = new ArrayList<>(p.deployers().keySet());
    }
    return new ProvisionSpec(
        name,
        p.homeNamespace(),
        targets,
        Boolean.TRUE.equals(d.get("createNamespace")),
        Boolean.TRUE.equals(d.get("clusterAdmin")),
        DeployerRole.parse(d.get("deployerRole") == null ? null : d.get("deployerRole").toString()),
        false,
        null);
  }

  // ------------------------------------------------------------------ harden

  private Object harden(Call c) {
    String name = c.pathParam("name");
    Duration timeout = ConnectionBodies.timeout(c);
    HardenBody body = c.body(HardenBody.class);
    Loaded l = load(name);
    ConnectionKind kind = l.spec().kind();
    if (kind == ConnectionKind.KUBERNETES_AZURE_SUBSCRIPTION) {
      throw SightlineException.badRequest(
          "NOT_HARDENABLE",
          "authorizationType",
          "an AzureSubscription connection is provisioned already: update its namespaces with"
              + " PUT and adminKubeconfig instead");
    }
    ClusterAccess admin = savedAccess(l);
    ProvisionSpec pspec =
        new ProvisionSpec(
            name,
            body.homeNamespace(),
            body.namespaces() == null ? List.of() : body.namespaces(),
            Boolean.TRUE.equals(body.createNamespace()),
            Boolean.TRUE.equals(body.clusterAdmin()),
            DeployerRole.parse(body.deployerRole()),
            false,
            null);
    s.probeLimiter().acquire(c.actor());
    ProvisionResult result = provision(c, ops(l.record()), name, admin, pspec);
    ClusterAccess minter = minterAccess(admin, result);
    ProbeResult probe;
    try {
      probe = probe(ops(l.record()), minter, timeout, pspec.targetNamespaces());
    } catch (RuntimeException e) {
      rollback(c, ops(l.record()), name, admin, pspec);
      throw e;
    }
    if (!probe.ok()) {
      rollback(c, ops(l.record()), name, admin, pspec);
      auditProbeFailure(c, "connection.harden", name, admin.server(), probe);
      throw verificationFailed(name, probe);
    }
    // Replace the stored (admin) credential with the minter's token.
    Map<String, Object> values = new LinkedHashMap<>(l.spec().values());
    Map<String, SecretValue> secrets = new LinkedHashMap<>();
    Set<String> remove = new HashSet<>(l.record().secretFields());
    if (kind == ConnectionKind.KUBERNETES_KUBECONFIG) {
      values.remove(KubeconfigConnection.CLUSTER_CONTEXT);
      secrets.put(KubeconfigConnection.KUBECONFIG, minterKubeconfig(name, minter));
    } else {
      values.put(ServiceAccountConnection.SERVER_URL, minter.server());
      if (minter.caPem() != null) {
        values.put(ServiceAccountConnection.CERTIFICATE, minter.caPem());
      } else {
        values.remove(ServiceAccountConnection.CERTIFICATE);
      }
      secrets.put(ServiceAccountConnection.API_TOKEN, result.minterToken());
    }
    remove.removeAll(secrets.keySet());
    ConnectionSpec hardened =
        new ConnectionSpec(name, kind, l.spec().description(), values, secrets);
    hardened.type().validate(hardened);
    try {
      ConnectionRecord rec =
          s.store()
              .transact(
                  tx -> {
                    Instant now = s.clock().instant();
                    ConnectionRecord r =
                        tx.connections()
                            .update(
                                l.record().id(),
                                write(hardened, minter.server(), true, now),
                                remove);
                    storeProvisioning(tx, r.id(), admin, pspec, result);
                    audit(tx, c, "connection.provision", r, "success", provisionDetails(result));
                    recordProbe(tx, c, r, minter.server(), probe, "connection.verify");
                    audit(
                        tx,
                        c,
                        "connection.harden",
                        r,
                        "success",
                        Map.of(
                            "homeNamespace", result.homeNamespace(),
                            "deployers", result.deployers(),
                            "credential", "minter token"));
                    return r;
                  });
      return view(rec);
    } catch (RuntimeException e) {
      rollback(c, ops(l.record()), name, admin, pspec);
      throw e;
    }
  }

  /** A kubeconfig holding only the minter's token (what a hardened Kubeconfig connection keeps). */
  private static SecretValue minterKubeconfig(String name, ClusterAccess minter) {
    StringBuilder y = new StringBuilder();
    y.append("apiVersion: v1\nkind: Config\nclusters:\n- name: ")
        .append(name)
        .append("\n  cluster:\n    server: \"")
        .append(minter.server())
        .append("\"\n");
    if (minter.insecureSkipTlsVerify()) {
      y.append("    insecure-skip-tls-verify: true\n");
    } else if (minter.caPem() != null) {
      y.append("    certificate-authority-data: ")
          .append(
              Base64.getEncoder().encodeToString(minter.caPem().getBytes(StandardCharsets.UTF_8)))
          .append("\n");
    }
    y.append("users:\n- name: sightline-minter\n  user:\n    token: \"")
        .append(minter.bearerToken().reveal())
        .append("\"\ncontexts:\n- name: ")
        .append(name)
        .append("\n  context:\n    cluster: ")
        .append(name)
        .append("\n    user: sightline-minter\ncurrent-context: ")
        .append(name)
        .append("\n");
    return SecretValue.of(y.toString());
  }

  // ------------------------------------------------------------------ helpers

  static ConnectionWrite write(
      ConnectionSpec spec, String serverUrl, boolean verified, Instant verifiedAt) {
    return new ConnectionWrite(
        spec.name(),
        spec.kind().kind(),
        spec.kind().authorizationType(),
        spec.description(),
        ConnectionRequests.storedValues(spec),
        spec.storedSecrets(),
        serverUrl,
        verified,
        verifiedAt);
  }

  /** The server URL the spec names, when it can be told without dialling; else null. */
  static String serverUrlOf(ConnectionSpec spec) {
    try {
      return spec.type().access(spec).server();
    } catch (SightlineException e) {
      return null;
    }
  }

  static SightlineException exists(String name) {
    return SightlineException.conflict(
        "CONNECTION_EXISTS",
        "a connection named "
            + name
            + " exists already: choose another name, or update it with PUT /api/v1/connections/"
            + name);
  }

  /**
   * Audits an event on connection {@code name} that no saved record backs (an unsaved probe, a
   * refused create or update, a provisioning step that failed before the save).
   */
  static void auditUnsaved(
      Store store,
      Call c,
      String action,
      String name,
      String outcome,
      Map<String, Object> details) {
    store.transact(
        tx -> {
          tx.audit()
              .append(
                  new AuditEvent(
                      action, c.actor(), "connection/" + name, outcome, c.requestId(), details));
          return null;
        });
  }

  static void audit(
      StoreTx tx,
      Call c,
      String action,
      ConnectionRecord r,
      String outcome,
      Map<String, Object> details) {
    Map<String, Object> d = new LinkedHashMap<>(details);
    d.put("id", r.id());
    d.put("kind", r.kind());
    d.put("authorizationType", r.authorizationType());
    tx.audit()
        .append(
            new AuditEvent(action, c.actor(), "connection/" + r.name(), outcome, c.requestId(), d));
  }
}
