package io.sightline.connections.kubeconfig;

import io.sightline.connections.ConnectionKind;
import io.sightline.connections.ConnectionSpec;
import io.sightline.connections.ConnectionType;
import io.sightline.connections.FieldSpec;
import io.sightline.connections.FieldType;
import io.sightline.core.SightlineException;
import io.sightline.kubernetes.ClusterAccess;
import io.sightline.kubernetes.KubeconfigParser;
import java.util.List;

/**
 * {@code kind: kubernetes}, {@code authorizationType: Kubeconfig}: a kubeconfig with an inline
 * token, client certificate or basic credential. Parsed by {@link KubeconfigParser} (exec,
 * auth-provider, file references and proxy-url refused, nothing read, nothing run).
 */
public final class KubeconfigConnection implements ConnectionType {
  public static final KubeconfigConnection TYPE = new KubeconfigConnection();

  public static final String KUBECONFIG = "kubeconfig";
  public static final String CLUSTER_CONTEXT = "clusterContext";
  public static final String ACCEPT_UNTRUSTED_CERTS = "acceptUntrustedCerts";

  private static final List<FieldSpec> FIELDS =
      List.of(
          FieldSpec.text(
                  KUBECONFIG,
                  "Kubeconfig",
                  "the kubeconfig text (YAML) with an inline token, client certificate or basic"
                      + " credential; exec plugins, auth-providers and file references are refused")
              .ofType(FieldType.TEXT)
              .asSecret()
              .asRequired(),
          FieldSpec.text(
              CLUSTER_CONTEXT,
              "Cluster context",
              "the context of the kubeconfig to use; default: its current-context"),
          FieldSpec.flag(
              ACCEPT_UNTRUSTED_CERTS,
              "Accept untrusted certificates",
              "trust any server certificate (insecure; prefer giving the CA in the kubeconfig)"),
          io.sightline.connections.Via.field());

  private KubeconfigConnection() {}

  @Override
  public ConnectionKind kind() {
    return ConnectionKind.KUBERNETES_KUBECONFIG;
  }

  @Override
  public List<FieldSpec> fields() {
    return FIELDS;
  }

  @Override
  public void validate(ConnectionSpec spec) {
    access(spec);
  }

  @Override
  public ClusterAccess access(ConnectionSpec spec) {
    if (spec.secret(KUBECONFIG) == null) {
      throw SightlineException.badRequest(
          "MISSING_FIELD",
          KUBECONFIG,
          "kubeconfig is required: give the kubeconfig text (--kubeconfig FILE)");
    }
    ClusterAccess a =
        KubeconfigParser.parse(spec.secret(KUBECONFIG).reveal(), spec.string(CLUSTER_CONTEXT));
    return spec.bool(ACCEPT_UNTRUSTED_CERTS) ? a.withAcceptUntrustedCerts(true) : a;
  }
}
