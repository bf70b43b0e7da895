package io.sightline.connections.agentidentity;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.sightline.connections.ConnectionKind;
import io.sightline.connections.ConnectionSpec;
import io.sightline.connections.ConnectionType;
import io.sightline.connections.FieldSpec;
import io.sightline.connections.FieldType;
import io.sightline.connections.Via;
import io.sightline.connections.internal.Errors;
import io.sightline.core.SightlineException;
import io.sightline.kubernetes.ClusterAccess;
import io.sightline.kubernetes.provision.DeployerRole;
import io.sightline.kubernetes.provision.ProvisionNames;
import io.sightline.kubernetes.provision.ProvisionPlan;
import io.sightline.kubernetes.provision.ProvisionSpec;
import io.sightline.kubernetes.provision.Provisioner;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code kind: kubernetes}, {@code authorizationType: AgentIdentity} (issue 9): the agents of the
 * connection's pool ({@code via}, required) mint with their own identity (their in-cluster
 * ServiceAccount or a kubeconfig on their host), so the server stores no cluster credential at all:
 * only the name, the pool, the API server URL jobs use ({@code server}) and the deployers of the
 * target namespaces. Sightline never provisions such a connection (granting roles would need {@code
 * bind}/{@code escalate}); an administrator applies {@link #manifests}.
 */
public final class AgentIdentityConnection implements ConnectionType {
  public static final AgentIdentityConnection TYPE = new AgentIdentityConnection();

  public static final String SERVER = "server";
  public static final String NAMESPACES = "namespaces";
  public static final String HOME_NAMESPACE = "homeNamespace";
  public static final String DEPLOYER_ROLE = "deployerRole";

  private static final List<FieldSpec> FIELDS =
      List.of(
          FieldSpec.text(
                  SERVER,
                  "API server URL",
                  "the API server URL the agent's jobs use, as the agent sees it (in a cluster:"
                      + " https://kubernetes.default.svc)")
              .asRequired()
              .withAliases("serverUrl", "url"),
          FieldSpec.text(
                  NAMESPACES,
                  "Namespaces",
                  "the target namespaces tasks deploy to; each has its own deployer")
              .ofType(FieldType.STRING_LIST)
              .asRequired()
              .withAliases("namespace"),
          FieldSpec.text(
              HOME_NAMESPACE,
              "Home namespace",
              "where the deployers and lease Secrets live; default sightline-<name>"),
          FieldSpec.text(
              DEPLOYER_ROLE,
              "Deployer role",
              "the ClusterRole deployers get in their namespace (for the manifests):"
                  + " sightline-deploy, edit, admin or a ClusterRole name"),
          Via.field().asRequired());

  private AgentIdentityConnection() {}

  @Override
  public ConnectionKind kind() {
    return ConnectionKind.KUBERNETES_AGENT_IDENTITY;
  }

  @Override
  public List<FieldSpec> fields() {
    return FIELDS;
  }

  @Override
  public void validate(ConnectionSpec spec) {
    access(spec);
    if (Via.pool(spec.values()) == null) {
      throw SightlineException.badRequest(
          "MISSING_FIELD",
          Via.FIELD,
          "via is required for AgentIdentity: name the agent pool that mints, {\"pool\": \"P\"}");
    }
    provisionSpec(spec);
  }

  /** Only the URL: the agent brings its own credential. */
  @Override
  public ClusterAccess access(ConnectionSpec spec) {
    return access(spec.string(SERVER));
  }

  /** The access a job carries for an AgentIdentity connection: the URL, no credential. */
  public static ClusterAccess access(String server) {
    if (server == null || server.isBlank()) {
      throw SightlineException.badRequest(
          "MISSING_FIELD",
          SERVER,
          "server is required: the API server URL the agent uses, e.g."
              + " https://kubernetes.default.svc");
    }
    return Errors.withField(
        "url",
        SERVER,
        () -> new ClusterAccess(server, null, false, null, null, null, null, null, null, null));
  }

  @Override
  public List<String> targetNamespaces(ConnectionSpec spec) {
    return spec.list(NAMESPACES);
  }

  /** The objects an administrator applies (what provisioning would create, minus any token). */
  public ProvisionSpec provisionSpec(ConnectionSpec spec) {
    return new ProvisionSpec(
        spec.name(),
        spec.string(HOME_NAMESPACE),
        spec.list(NAMESPACES),
        false,
        false,
        DeployerRole.parse(spec.string(DEPLOYER_ROLE)),
        false,
        null);
  }

  /** Target namespace → deployer ServiceAccount (in the home namespace). */
  public Map<String, String> deployers(ConnectionSpec spec) {
    Map<String, String> out = new LinkedHashMap<>();
    spec.list(NAMESPACES).forEach(ns -> out.put(ns, ProvisionNames.deployer(ns)));
    return out;
  }

  /**
   * The manifests an administrator applies for this connection: the home namespace, one deployer
   * per target namespace with its RoleBinding, and the agent's narrow RBAC — the {@code
   * sightline-minter} ServiceAccount the agent runs as, with a Role allowing only {@code create
   * serviceaccounts/token} on the deployers and create/delete of Secrets in the home namespace. No
   * long-lived token Secret.
   */
  public ProvisionPlan manifests(ConnectionSpec spec) {
    List<HasMetadata> objects =
        new Provisioner()
            .plan(provisionSpec(spec)).objects().stream()
                .filter(o -> !"Secret".equals(o.getKind()))
                .toList();
    return new ProvisionPlan(objects);
  }
}
