package io.sightline.connections.serviceaccount;

import io.sightline.connections.ConnectionKind;
import io.sightline.connections.ConnectionSpec;
import io.sightline.connections.ConnectionType;
import io.sightline.connections.FieldSpec;
import io.sightline.connections.FieldType;
import io.sightline.connections.internal.Errors;
import io.sightline.core.SightlineException;
import io.sightline.kubernetes.ClusterAccess;
import io.sightline.kubernetes.ServiceAccountCredential;
import io.sightline.kubernetes.ServiceAccountSecretParser;
import java.util.List;

/**
 * {@code kind: kubernetes}, {@code authorizationType: ServiceAccount}: a server URL plus either the
 * YAML/JSON of a service-account token Secret as {@code kubectl get secret -o yaml|json} prints it
 * ({@code secret}), or a token ({@code apiToken}) and the cluster CA ({@code
 * serviceAccountCertificate}, PEM or base64 of PEM).
 */
public final class ServiceAccountConnection implements ConnectionType {
  public static final ServiceAccountConnection TYPE = new ServiceAccountConnection();

  public static final String SERVER_URL = "serverUrl";
  public static final String SECRET = "secret";
  public static final String API_TOKEN = "apiToken";
  public static final String CERTIFICATE = "serviceAccountCertificate";
  public static final String ACCEPT_UNTRUSTED_CERTS = "acceptUntrustedCerts";

  private static final List<FieldSpec> FIELDS =
      List.of(
          FieldSpec.text(
                  SERVER_URL,
                  "Server URL",
                  "the API server's URL, https://host:port, as in the kubeconfig's cluster.server")
              .asRequired()
              .withAliases("url"),
          FieldSpec.text(
                  SECRET,
                  "Secret",
                  "the service-account token Secret as 'kubectl get secret NAME -o yaml' (or -o"
                      + " json) prints it")
              .ofType(FieldType.TEXT)
              .asSecret(),
          FieldSpec.text(
                  API_TOKEN,
                  "API token",
                  "the service account's token (instead of secret), decoded or base64")
              .asSecret(),
          FieldSpec.text(
                  CERTIFICATE,
                  "Certificate",
                  "the cluster CA (PEM, or the base64 of the PEM as data[\"ca.crt\"] holds it), with"
                      + " apiToken")
              .ofType(FieldType.TEXT),
          FieldSpec.flag(
              ACCEPT_UNTRUSTED_CERTS,
              "Accept untrusted certificates",
              "trust any server certificate (insecure; prefer giving the CA)"),
          io.sightline.connections.Via.field());

  private ServiceAccountConnection() {}

  @Override
  public ConnectionKind kind() {
    return ConnectionKind.KUBERNETES_SERVICE_ACCOUNT;
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
    boolean hasSecret = spec.secret(SECRET) != null;
    boolean hasToken = spec.secret(API_TOKEN) != null;
    if (hasSecret == hasToken) {
      throw SightlineException.badRequest(
          hasSecret ? "CONFLICTING_FIELDS" : "MISSING_FIELD",
          hasSecret ? API_TOKEN : SECRET,
          hasSecret
              ? "give either secret or apiToken (with serviceAccountCertificate), not both"
              : "secret is required (the token Secret as 'kubectl get secret NAME -o yaml' prints"
                  + " it), or give apiToken and serviceAccountCertificate instead");
    }
    if (hasSecret && spec.string(CERTIFICATE) != null) {
      throw SightlineException.badRequest(
          "CONFLICTING_FIELDS",
          CERTIFICATE,
          "serviceAccountCertificate goes with apiToken; with secret the CA comes from the"
              + " Secret's data[\"ca.crt\"]: remove serviceAccountCertificate");
    }
    ServiceAccountCredential credential =
        hasSecret
            ? Errors.withField(
                ServiceAccountSecretParser.FIELD,
                SECRET,
                () -> ServiceAccountSecretParser.parse(spec.secret(SECRET).reveal()))
            : ServiceAccountSecretParser.fromTokenAndCa(
                spec.secret(API_TOKEN).reveal(), spec.string(CERTIFICATE));
    boolean accept = spec.bool(ACCEPT_UNTRUSTED_CERTS);
    return Errors.withField(
        "url",
        SERVER_URL,
        () -> ServiceAccountSecretParser.access(spec.string(SERVER_URL), credential, accept));
  }
}
