package io.sightline.server.routes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sightline.api.probe.DiagnosisCode;
import io.sightline.api.probe.ProbeResult;
import io.sightline.azure.AksFacts;
import io.sightline.azure.AzureCloud;
import io.sightline.azure.ManagedCluster;
import io.sightline.connections.ConnectionKind;
import io.sightline.connections.ConnectionRequests;
import io.sightline.connections.ConnectionSpec;
import io.sightline.connections.azurerm.AzureRmAccess;
import io.sightline.connections.azurerm.AzureRmAccessCache;
import io.sightline.connections.azurerm.AzureRmConnection;
import io.sightline.connections.azuresubscription.AzureSubscriptionConnection;
import io.sightline.core.Role;
import io.sightline.core.SecretValue;
import io.sightline.core.SightlineException;
import io.sightline.kubernetes.ClusterAccess;
import io.sightline.kubernetes.ProbeOptions;
import io.sightline.server.http.ApiField;
import io.sightline.server.http.ApiRoute;
import io.sightline.server.http.Call;
import io.sightline.server.http.ProblemException;
import io.sightline.store.Connections;
import io.sightline.store.Connections.ConnectionRecord;
import io.sightline.store.StoreTx;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code azurerm} kind on the server: create, update and verify through Entra and ARM (never a
 * cluster), the AKS pick lists {@code GET /api/v1/connections/{name}/aks/clusters[/{rg}/{cluster}]}
 * with each cluster's facts and a recommendation, the WorkloadIdentityFederation issuer and subject
 * in a connection's view, and the cluster-admin kubeconfig that AzureSubscription connections fetch
 * from ARM through a named azurerm connection. Entra and ARM failures are answered with their
 * AADSTS or ARM code within the deadline; nothing is stored half-way.
 */
public final class AzureRmRoutes {
  private static final Logger log = LoggerFactory.getLogger(AzureRmRoutes.class);
  private static final String BASE = "/api/v1/connections";

  /** The answer of verifying an azurerm connection. */
  public record AzureVerification(
      @ApiField("true when Entra issued an ARM token and ARM listed the subscription's clusters")
          boolean ok,
      Instant at,
      String scheme,
      String subscriptionId,
      @ApiField("the AKS clusters ARM listed, as resourceGroup/name") List<String> clusters,
      @ApiField(
              "null when ok; else code (ENTRA_AUTH_FAILED with the AADSTS code, ARM_FORBIDDEN, …), message, hint")
          Map<String, Object> diagnosis,
      long durationMillis) {}

  /** A pick list of AKS clusters. */
  public record AksClusterList(String subscriptionId, String resourceGroup, List<AksFacts> items) {}

  private final Services s;
  private final AzureRmAccessCache accesses;

  public AzureRmRoutes(Services s, AzureRmAccessCache accesses) {
    this.s = s;
    this.accesses = accesses;
  }

  public List<ApiRoute> routes() {
    return List.of(
        ApiRoute.get(
                BASE + "/{name}/aks/clusters",
                Role.USER,
                "List the AKS clusters an azurerm connection sees, with their facts and a"
                    + " recommendation (asks ARM; never touches a cluster)")
            .returns(AksClusterList.class)
            .query("resourceGroup", "string", "only this resource group's clusters")
            .handle(this::clusters),
        ApiRoute.get(
                BASE + "/{name}/aks/clusters/{resourceGroup}/{cluster}",
                Role.USER,
                "One AKS cluster's facts (private? local accounts disabled? Entra ID? Azure RBAC?"
                    + " version) and the way to reach it, in plain words")
            .returns(AksFacts.class)
            .handle(this::cluster));
  }

  // ------------------------------------------------------------------ pick lists

  private record Loaded(ConnectionRecord record, ConnectionSpec spec) {}

  /** A saved azurerm connection; 404 naming it, 400 when it is another kind. */
  private Loaded load(String name, String field) {
    return s.store()
        .transact(
            tx -> {
              ConnectionRecord r =
                  tx.connections()
                      .find(name)
                      .orElseThrow(
                          () ->
                              new SightlineException(
                                  "CONNECTION_NOT_FOUND",
                                  404,
                                  field,
                                  "no connection named "
                                      + name
                                      + ": list them with GET /api/v1/connections (sightline"
                                      + " connection list)",
                                  null,
                                  null));
              ConnectionKind kind = ConnectionKind.fromWire(r.kind(), r.authorizationType());
              if (!kind.isAzureRm()) {
                throw SightlineException.badRequest(
                    "NOT_AN_AZURERM_CONNECTION",
                    field,
                    "connection "
                        + name
                        + " is of kind "
                        + r.kind()
                        + ", not azurerm: name an azurerm connection (sightline connection create"
                        + " azurerm)");
              }
              return new Loaded(
                  r,
                  ConnectionRequests.fromStored(
                      r.name(),
                      kind,
                      r.description(),
                      r.fields(),
                      tx.connections().secrets(r.id())));
            });
  }

  /** The shared access of a saved connection (its version is its id and update time). */
  private AzureRmAccess access(Loaded l) {
    return accesses.get(l.record().id() + "|" + l.record().updatedAt(), l.spec());
  }

  private Object clusters(Call c) {
    String name = c.pathParam("name");
    String rg = c.query("resourceGroup");
    if (rg != null && rg.isBlank()) {
      rg = null;
    }
    Loaded l = load(name, null);
    s.probeLimiter().acquire(c.actor());
    String group = rg;
    List<AksFacts> items = armCall(c, l, "aks.list", () -> access(l).clusters(group));
    return new AksClusterList(l.spec().string(AzureRmConnection.SUBSCRIPTION_ID), rg, items);
  }

  private Object cluster(Call c) {
    String name = c.pathParam("name");
    String rg = c.pathParam("resourceGroup");
    String cluster = c.pathParam("cluster");
    Loaded l = load(name, null);
    s.probeLimiter().acquire(c.actor());
    return armCall(c, l, "aks.read", () -> access(l).cluster(rg, cluster));
  }

  private <T> T armCall(Call c, Loaded l, String what, java.util.function.Supplier<T> work) {
    try {
      T out = work.get();
      auditProbe(c, l.record(), what, true, null);
      return out;
    } catch (SightlineException e) {
      auditProbe(c, l.record(), what, false, e.code());
      throw forConnection(e, l.record().name());
    }
  }

  private void auditProbe(Call c, ConnectionRecord r, String what, boolean ok, String code) {
    s.store()
        .transact(
            tx -> {
              Map<String, Object> d = new LinkedHashMap<>();
              d.put("call", what);
              d.put("ok", ok);
              if (code != null) {
                d.put("diagnosis", code);
              }
              ConnectionRoutes.audit(tx, c, "connection.probe", r, ok ? "success" : "failure", d);
              return null;
            });
  }

  /**
   * A failed Entra sign-in is the stored credential's fault: 422 naming the connection to fix
   * (Entra's own AADSTS code stays in the message). ARM's 403/404 and deadlines keep their status.
   */
  static SightlineException forConnection(SightlineException e, String name) {
    if (DiagnosisCode.ENTRA_AUTH_FAILED.name().equals(e.code())) {
      return new SightlineException(
          e.code(),
          422,
          null,
          e.getMessage()
              + " (fix connection "
              + name
              + " with PUT /api/v1/connections/"
              + name
              + ")",
          null,
          null);
    }
    return e;
  }

  // ------------------------------------------------------------------ verification

  /**
   * Asks Entra for an ARM token and ARM for the subscription's clusters, within {@code timeout}.
   */
  AzureVerification verify(ConnectionSpec spec, Duration timeout) {
    Instant at = s.clock().instant();
    long t0 = System.nanoTime();
    String scheme = spec.kind().authorizationType();
    String sub = spec.string(AzureRmConnection.SUBSCRIPTION_ID);
    try {
      AzureRmAccess a = accesses.fresh(spec, timeout);
      List<String> names =
          a.verify().stream().map(m -> m.resourceGroup() + "/" + m.name()).sorted().toList();
      return new AzureVerification(true, at, scheme, sub, names, null, millis(t0));
    } catch (SightlineException e) {
      if (e.status() == 400 && e.field() != null) {
        throw e;
      }
      Map<String, Object> d = new LinkedHashMap<>();
      d.put("code", e.code());
      d.put("message", e.getMessage());
      d.put("hint", hint(e.code(), e.getMessage(), spec));
      log.debug("verifying azurerm connection {} failed: {}", spec.name(), e.getMessage());
      return new AzureVerification(false, at, scheme, sub, List.of(), d, millis(t0));
    } catch (RuntimeException e) {
      log.warn("verifying azurerm connection {} failed unexpectedly", spec.name(), e);
      Map<String, Object> d = new LinkedHashMap<>();
      d.put("code", DiagnosisCode.UNEXPECTED_RESPONSE.name());
      d.put("message", "the sign-in failed unexpectedly (" + e.getClass().getSimpleName() + ")");
      d.put("hint", "check the connection's fields; the server log has the details");
      return new AzureVerification(false, at, scheme, sub, List.of(), d, millis(t0));
    }
  }

  private static long millis(long t0) {
    return (System.nanoTime() - t0) / 1_000_000;
  }

  private static String hint(String code, String message, ConnectionSpec spec) {
    boolean wif = spec.kind() == ConnectionKind.AZURERM_WORKLOAD_IDENTITY_FEDERATION;
    boolean noAnswer = message != null && message.contains("did not answer");
    if (DiagnosisCode.ENTRA_AUTH_FAILED.name().equals(code) && noAnswer) {
      return "Entra ID did not answer in time: check that the environment's authority host is"
          + " reachable from the server (egress, proxy), raise ?timeout, or save without"
          + " verification (?verify=false)";
    }
    if (DiagnosisCode.ENTRA_AUTH_FAILED.name().equals(code)) {
      return wif
          ? "Check tenantid and serviceprincipalid, and that the app has a federated credential"
              + " with exactly the issuer and subject shown by 'sightline connection show "
              + spec.name()
              + "' and audience api://AzureADTokenExchange; Entra must be able to fetch the"
              + " issuer's discovery document and JWKS"
          : "Fix the field the AADSTS code names (tenantid, serviceprincipalid, servicePrincipalKey"
              + " or servicePrincipalCertificate) and update the connection";
    }
    if (DiagnosisCode.ARM_FORBIDDEN.name().equals(code)) {
      return "Grant the identity a role that can read managed clusters (e.g. Azure Kubernetes"
          + " Service Cluster User Role, or Reader) on the subscription or resource group";
    }
    if (DiagnosisCode.ARM_NOT_FOUND.name().equals(code)) {
      return "Check subscriptionId: the identity sees no such subscription";
    }
    if (DiagnosisCode.PROBE_DEADLINE_EXCEEDED.name().equals(code)
        || DiagnosisCode.CONNECTION_REFUSED.name().equals(code)) {
      return "Entra or ARM did not answer from the server: check the environment's endpoints, the"
          + " server's egress and proxy, or save without verification (?verify=false)";
    }
    if (DiagnosisCode.EGRESS_DENIED.name().equals(code)) {
      return "The server's egress rules refuse this endpoint: allow it (sightline.egress.allow) or"
          + " fix the environment's endpoints";
    }
    return "Save without verification (?verify=false) and verify later";
  }

  private static ProblemException verificationFailed(String name, AzureVerification v) {
    return new ProblemException(
        "VERIFICATION_FAILED",
        422,
        null,
        "verifying connection "
            + name
            + " failed with "
            + v.diagnosis().get("code")
            + ": "
            + v.diagnosis().get("message")
            + " — "
            + v.diagnosis().get("hint")
            + ". Nothing was saved; fix it, or save without verification (?verify=false,"
            + " --no-verify).",
        Map.of("verification", v));
  }

  private static String armUrl(ConnectionSpec spec) {
    AzureCloud cloud = AzureRmConnection.cloud(spec);
    return cloud.armEndpointString();
  }

  /** {@code POST /connections} for an azurerm spec (validated already, name free). */
  Object create(Call c, ConnectionSpec spec, boolean verify, Duration timeout) {
    c.context().status(201);
    if (!verify) {
      ConnectionRecord rec =
          s.store()
              .transact(
                  tx -> {
                    ConnectionRecord r =
                        tx.connections()
                            .create(
                                ConnectionRoutes.write(spec, armUrl(spec), false, null), c.actor());
                    ConnectionRoutes.audit(
                        tx, c, "connection.create", r, "success", Map.of("verified", false));
                    return r;
                  });
      return view(rec.name());
    }
    s.probeLimiter().acquire(c.actor());
    AzureVerification v = verify(spec, timeout);
    if (!v.ok()) {
      auditFailure(c, "connection.create", spec.name(), v);
      throw verificationFailed(spec.name(), v);
    }
    ConnectionRecord rec =
        s.store()
            .transact(
                tx -> {
                  ConnectionRecord r =
                      tx.connections()
                          .create(
                              ConnectionRoutes.write(spec, armUrl(spec), true, v.at()), c.actor());
                  record(tx, c, r, v);
                  ConnectionRoutes.audit(
                      tx, c, "connection.create", r, "success", Map.of("verified", true));
                  return r;
                });
    return view(rec.name());
  }

  /** {@code PUT /connections/{name}} for an azurerm spec (validated, stored secrets merged). */
  Object update(
      Call c,
      ConnectionRecord old,
      ConnectionSpec spec,
      Set<String> remove,
      boolean verify,
      Duration timeout) {
    AzureVerification v = null;
    if (verify) {
      s.probeLimiter().acquire(c.actor());
      v = verify(spec, timeout);
      if (!v.ok()) {
        auditFailure(c, "connection.update", spec.name(), v);
        throw verificationFailed(spec.name(), v);
      }
    }
    AzureVerification done = v;
    s.store()
        .transact(
            tx -> {
              ConnectionRecord r =
                  tx.connections()
                      .update(
                          old.id(),
                          ConnectionRoutes.write(
                              spec, armUrl(spec), done != null, done == null ? null : done.at()),
                          remove);
              if (done != null) {
                record(tx, c, r, done);
              }
              ConnectionRoutes.audit(
                  tx, c, "connection.update", r, "success", Map.of("verified", done != null));
              return r;
            });
    return view(spec.name());
  }

  /** {@code POST /connections/{name}/verify} of a saved azurerm connection. */
  Object verifySaved(Call c, String name) {
    Duration timeout = ConnectionBodies.timeout(c);
    Loaded l = load(name, null);
    s.probeLimiter().acquire(c.actor());
    AzureVerification v = verify(l.spec(), timeout);
    s.store()
        .transact(
            tx -> {
              ConnectionRecord r = tx.connections().find(name).orElse(l.record());
              tx.connections().setVerified(r.id(), v.ok(), v.at());
              record(tx, c, r, v);
              return null;
            });
    return v;
  }

  /** {@code POST /connections/probe} of an unsaved azurerm spec. */
  Object probeUnsaved(Call c, ConnectionSpec spec, Duration timeout) {
    s.probeLimiter().acquire(c.actor());
    AzureVerification v = verify(spec, timeout);
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("ok", v.ok());
    d.put("saved", false);
    if (v.diagnosis() != null) {
      d.put("diagnosis", v.diagnosis().get("code"));
    }
    ConnectionRoutes.auditUnsaved(
        s.store(), c, "connection.probe", spec.name(), v.ok() ? "success" : "failure", d);
    return v;
  }

  /** Whether the saved connection {@code name} is an azurerm one (false when there is none). */
  boolean isAzureRm(String name) {
    return s.store()
        .transact(
            tx ->
                tx.connections()
                    .find(name)
                    .map(r -> ConnectionKind.AZURERM.equals(r.kind()))
                    .orElse(false));
  }

  private void record(StoreTx tx, Call c, ConnectionRecord r, AzureVerification v) {
    Map<String, Object> summary = new LinkedHashMap<>();
    summary.put("ok", v.ok());
    summary.put("scheme", v.scheme());
    summary.put("subscriptionId", v.subscriptionId());
    summary.put("clusters", v.clusters().size());
    if (v.diagnosis() != null) {
      summary.putAll(v.diagnosis());
      summary.put("diagnosis", v.diagnosis().get("code"));
      summary.remove("code");
    }
    summary.put("warnings", List.of());
    summary.put("durationMillis", v.durationMillis());
    String code = v.diagnosis() == null ? null : String.valueOf(v.diagnosis().get("code"));
    tx.connections()
        .addVerification(r.id(), new Connections.Verification(v.at(), v.ok(), code, summary));
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("ok", v.ok());
    d.put("clusters", v.clusters().size());
    if (code != null) {
      d.put("diagnosis", code);
    }
    ConnectionRoutes.audit(tx, c, "connection.verify", r, v.ok() ? "success" : "failure", d);
  }

  private void auditFailure(Call c, String action, String name, AzureVerification v) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("ok", false);
    d.put("diagnosis", v.diagnosis().get("code"));
    d.put("saved", false);
    ConnectionRoutes.auditUnsaved(s.store(), c, action, name, "failure", d);
  }

  private ObjectNode view(String name) {
    return s.store()
        .transact(
            tx -> decorate(ConnectionRoutes.view(tx, tx.connections().find(name).orElseThrow())));
  }

  /**
   * Adds what only azurerm views show: for WorkloadIdentityFederation, the issuer, subject and
   * audience to paste into the Entra app's federated credential; a warning when static credentials
   * are allowed.
   */
  ObjectNode decorate(ObjectNode view) {
    if (!ConnectionKind.AZURERM.equals(view.path("kind").asText())) {
      return view;
    }
    String name = view.path("name").asText();
    if (ConnectionKind.AZURERM_WORKLOAD_IDENTITY_FEDERATION
            .authorizationType()
            .equals(view.path("scheme").asText())
        && s.oidcIssuer() != null) {
      ObjectNode f = view.putObject("workloadIdentityFederation");
      f.put("issuer", s.oidcIssuer().issuerUrl());
      f.put("subject", s.oidcIssuer().subject(name));
      f.put("audience", io.sightline.azure.OidcIssuer.TOKEN_EXCHANGE_AUDIENCE);
      f.put(
          "howTo",
          "In Entra ID, add a federated credential to app "
              + view.path(AzureRmConnection.CLIENT_ID).asText("?")
              + " (Certificates & secrets > Federated credentials > Other issuer) with exactly this"
              + " issuer, subject and audience. Entra fetches the issuer's"
              + " /.well-known/openid-configuration over the internet.");
    }
    if (view.path(AzureRmConnection.ALLOW_STATIC).asBoolean(false)) {
      JsonNode w = view.get("warnings");
      if (w != null && w.isArray()) {
        ((com.fasterxml.jackson.databind.node.ArrayNode) w)
            .add(
                "allowStaticCredentials: leases may hand out ARM's long-lived client certificates"
                    + " (clusters without Entra ID, useClusterAdmin), which Sightline cannot"
                    + " expire or revoke");
      }
    }
    return view;
  }

  // ------------------------------------------------------------------ AzureSubscription

  /**
   * For an AzureSubscription spec naming {@code azureConnection}: fetches the cluster-admin
   * kubeconfig from ARM and checks the cluster answers from here, then returns the spec with it as
   * {@code adminKubeconfig} (used for this call only, never stored). Other specs are returned as
   * they are.
   *
   * @throws SightlineException {@code LOCAL_ACCOUNTS_DISABLED} (ARM refuses static credentials),
   *     {@code VERIFICATION_FAILED} with {@code PRIVATE_ENDPOINT_UNREACHABLE} for a private cluster
   *     the server cannot reach, or the Entra/ARM code — each within {@code timeout}
   */
  ConnectionSpec withAdminKubeconfig(Call c, ConnectionSpec spec, Duration timeout) {
    if (spec.kind() != ConnectionKind.KUBERNETES_AZURE_SUBSCRIPTION
        || spec.string(AzureSubscriptionConnection.AZURE_CONNECTION) == null
        || spec.secret(AzureSubscriptionConnection.ADMIN_KUBECONFIG) != null) {
      return spec;
    }
    String armName = spec.string(AzureSubscriptionConnection.AZURE_CONNECTION);
    var ref = AzureSubscriptionConnection.aksCluster(spec);
    Loaded arm = load(armName, AzureSubscriptionConnection.AZURE_CONNECTION);
    String target =
        "{\"azureConnection\":\""
            + armName
            + "\",\"resourceGroup\":\""
            + ref.resourceGroup()
            + "\",\"cluster\":\""
            + ref.cluster()
            + "\"}";
    s.probeLimiter().acquire(c.actor());
    long t0 = System.nanoTime();
    ManagedCluster cluster;
    SecretValue kubeconfig;
    try {
      AzureRmAccess a = accesses.fresh(arm.spec(), timeout);
      cluster = a.managedCluster(ref.resourceGroup(), ref.cluster());
      kubeconfig = a.adminKubeconfig(ref.resourceGroup(), ref.cluster());
    } catch (SightlineException e) {
      auditAdminFetch(c, spec.name(), armName, ref, e.code());
      if (DiagnosisCode.LOCAL_ACCOUNTS_DISABLED.name().equals(e.code())) {
        throw new ProblemException(
            e.code(),
            409,
            AzureSubscriptionConnection.AZURE_CONNECTION,
            "cluster "
                + ref.cluster()
                + " has local accounts disabled, so ARM hands out no cluster-admin kubeconfig and"
                + " an AzureSubscription connection cannot provision it. Use the cluster through"
                + " the azurerm connection instead: the lease target "
                + target
                + " gets each task its own Entra token. Nothing was saved.",
            Map.of(
                "diagnosis",
                Map.of(
                    "code",
                    e.code(),
                    "message",
                    e.getMessage(),
                    "hint",
                    "use the target "
                        + target
                        + " (sightline run --azure-connection "
                        + armName
                        + " --resource-group "
                        + ref.resourceGroup()
                        + " --cluster "
                        + ref.cluster()
                        + ")")));
      }
      SightlineException mapped = forConnection(e, armName);
      throw new SightlineException(
          mapped.code(),
          mapped.status(),
          mapped.status() == 404
              ? AzureSubscriptionConnection.CLUSTER
              : AzureSubscriptionConnection.AZURE_CONNECTION,
          mapped.getMessage(),
          null,
          null);
    }
    ClusterAccess admin =
        AzureSubscriptionConnection.parseAdminKubeconfig(kubeconfig.reveal(), null);
    Duration left = timeout.minusNanos(System.nanoTime() - t0);
    if (left.compareTo(ProbeOptions.MIN_DEADLINE) < 0) {
      left = ProbeOptions.MIN_DEADLINE;
    }
    ProbeResult reach = s.prober().probe(admin, new ProbeOptions(left, List.of()));
    if (!reach.ok()) {
      DiagnosisCode code = reach.diagnosis().code();
      boolean unreachable =
          code == DiagnosisCode.PRIVATE_ENDPOINT_UNREACHABLE
              || code == DiagnosisCode.CONNECT_TIMEOUT
              || code == DiagnosisCode.CONNECTION_REFUSED
              || code == DiagnosisCode.DNS_UNRESOLVABLE
              || code == DiagnosisCode.TLS_HANDSHAKE_TIMEOUT
              || code == DiagnosisCode.PROBE_DEADLINE_EXCEEDED;
      String reported =
          unreachable && cluster.privateCluster()
              ? DiagnosisCode.PRIVATE_ENDPOINT_UNREACHABLE.name()
              : code.name();
      String message =
          unreachable && cluster.privateCluster()
              ? "cluster "
                  + ref.cluster()
                  + " is private ("
                  + (cluster.privateFqdn() == null ? admin.server() : cluster.privateFqdn())
                  + ") and its API server does not answer from the Sightline server ("
                  + code
                  + ": "
                  + reach.diagnosis().message()
                  + ")"
              : reach.diagnosis().message();
      String hint =
          unreachable
              ? "Provision it from an agent pool in the cluster's network, or use the cluster"
                  + " through the azurerm target "
                  + target
                  + " (tasks then need line of sight, not the server)"
              : reach.diagnosis().hint();
      auditAdminFetch(c, spec.name(), armName, ref, reported);
      throw new ProblemException(
          "VERIFICATION_FAILED",
          422,
          AzureSubscriptionConnection.CLUSTER,
          "verifying connection "
              + spec.name()
              + " failed with "
              + reported
              + ": "
              + message
              + (hint == null ? "" : " — " + hint)
              + ". Nothing was saved.",
          Map.of(
              "diagnosis",
              Map.of("code", reported, "message", message, "hint", hint == null ? "" : hint),
              "probe",
              reach));
    }
    Map<String, SecretValue> add = Map.of(AzureSubscriptionConnection.ADMIN_KUBECONFIG, kubeconfig);
    return spec.withSecretsKept(add);
  }

  private void auditAdminFetch(
      Call c,
      String name,
      String armName,
      AzureSubscriptionConnection.AksClusterRef ref,
      String code) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("azureConnection", armName);
    d.put("resourceGroup", ref.resourceGroup());
    d.put("cluster", ref.cluster());
    d.put("call", "listClusterAdminCredential");
    d.put("diagnosis", code);
    d.put("saved", false);
    ConnectionRoutes.auditUnsaved(s.store(), c, "connection.provision", name, "failure", d);
  }
}
