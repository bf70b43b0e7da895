package io.sightline.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import io.sightline.azure.OidcIssuer;
import io.sightline.testing.azure.AksCluster;
import io.sightline.testing.azure.ArmAction;
import io.sightline.testing.azure.EntraApp;
import io.sightline.testing.azure.FakeAzure;
import io.sightline.testing.azure.FederatedCredential;
import io.sightline.testing.azure.ManagedIdentity;
import io.sightline.testing.kube.FakeKubeApiServer;
import io.sightline.testing.pki.TestCa;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * An emulated Entra ID + ARM for the server's azurerm tests: one tenant with a secret app, a
 * certificate app, a federated app trusting the server's issuer, a managed identity and an app
 * without ARM rights; AKS clusters {@code aks1} (Entra ID, local accounts disabled), {@code
 * aks-static} (no Entra ID) and {@code aks-local} (Entra ID, local accounts enabled) on one fake
 * API server, plus {@code aks-private} whose private API server refuses connections. A loopback
 * HTTP host serves the server's issuer documents, as a public web host would for Entra.
 */
final class AzureFixture implements AutoCloseable {
  static final String TENANT = "8f3c2a10-5d1e-4b7a-9c2e-1f0a6b7c8d90";
  static final String SECRET_APP = "0a1b2c3d-1111-4111-8111-000000000001";
  static final String CERT_APP = "0a1b2c3d-2222-4222-8222-000000000002";
  static final String FED_APP = "0a1b2c3d-3333-4333-8333-000000000003";
  static final String MI_CLIENT = "0a1b2c3d-5555-4555-8555-000000000005";
  static final String NORIGHTS_APP = "0a1b2c3d-7777-4777-8777-000000000007";
  static final String OTHER_FED_APP = "0a1b2c3d-9999-4999-8999-000000000009";
  static final String SUB = "11111111-2222-4333-8444-555555555555";
  static final String GROUP = "9e9e9e9e-0000-4000-8000-000000000009";
  static final String RG = "rg-aks";
  static final String SECRET = "s3cret-value~for.server.tests";

  final FakeAzure azure;
  final FakeKubeApiServer kube;
  final EntraApp secretApp;
  final ManagedIdentity mi;
  final String certPem;
  final HttpServer issuerHost;
  final Path issuerDir;

  AzureFixture(Path tmp) throws Exception {
    issuerDir = Files.createDirectories(tmp.resolve("issuer"));
    issuerHost = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    issuerHost.createContext(
        "/",
        ex -> {
          ex.getRequestBody().readAllBytes();
          Path f = issuerDir.resolve(ex.getRequestURI().getPath().substring(1)).normalize();
          if (!f.startsWith(issuerDir) || !Files.isRegularFile(f)) {
            ex.sendResponseHeaders(404, -1);
            ex.close();
            return;
          }
          byte[] b = Files.readAllBytes(f);
          ex.getResponseHeaders().add("Content-Type", "application/json");
          ex.sendResponseHeaders(200, b.length);
          try (OutputStream o = ex.getResponseBody()) {
            o.write(b);
          }
        });
    issuerHost.start();
    X509Certificate[] cert = new X509Certificate[1];
    certPem = certificatePem(cert);
    secretApp = EntraApp.builder(TENANT, SECRET_APP).secret(SECRET).groups(GROUP).build();
    EntraApp certApp =
        EntraApp.builder(TENANT, CERT_APP).certificate(cert[0]).groups(GROUP).build();
    EntraApp fedApp =
        EntraApp.builder(TENANT, FED_APP)
            .federatedCredential(FederatedCredential.of(issuerUrl(), "sc://sightline/arm-wif"))
            .groups(GROUP)
            .build();
    EntraApp otherFed =
        EntraApp.builder(TENANT, OTHER_FED_APP)
            .federatedCredential(FederatedCredential.of(issuerUrl(), "sc://elsewhere/arm-wif"))
            .build();
    EntraApp noRights = EntraApp.builder(TENANT, NORIGHTS_APP).secret(SECRET).build();
    mi = ManagedIdentity.of(TENANT, MI_CLIENT);
    FakeAzure.Builder b =
        FakeAzure.builder()
            .application(secretApp)
            .application(certApp)
            .application(fedApp)
            .application(otherFed)
            .application(noRights)
            .managedIdentity(mi);
    for (String oid :
        new String[] {secretApp.objectId(), certApp.objectId(), fedApp.objectId(), mi.objectId()}) {
      b.allow(
          oid,
          "/subscriptions/" + SUB,
          ArmAction.READ_CLUSTERS,
          ArmAction.LIST_USER_CREDENTIAL,
          ArmAction.LIST_ADMIN_CREDENTIAL);
    }
    azure = b.start();
    kube = FakeKubeApiServer.builder().oidc(azure.aksOidc(TENANT)).start();
    azure.addCluster(
        AksCluster.builder(SUB, RG, "aks1").backedBy(kube).localAccountsDisabled().build());
    azure.addCluster(AksCluster.builder(SUB, RG, "aks-static").backedBy(kube).withoutAad().build());
    azure.addCluster(AksCluster.builder(SUB, RG, "aks-local").backedBy(kube).build());
    TestCa.Issued admin = kube.clientCertificate("masterclient", "system:masters");
    int closed;
    try (var s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.2"))) {
      closed = s.getLocalPort();
    }
    azure.addCluster(
        AksCluster.builder(SUB, RG, "aks-private")
            .privateCluster()
            .apiServer(java.net.URI.create("https://127.0.0.2:" + closed), kube.caCertPem())
            .staticCredential(admin.certPem(), admin.keyPem(), null)
            .build());
    kube.createObject(
        "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"ClusterRoleBinding\","
            + "\"metadata\":{\"name\":\"aad-readers\"},"
            + "\"roleRef\":{\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":\"ClusterRole\","
            + "\"name\":\"view\"},"
            + "\"subjects\":[{\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":\"Group\","
            + "\"name\":\""
            + GROUP
            + "\"}]}");
  }

  /** The issuer URL the server is configured with ({@code --public-url}). */
  String issuerUrl() {
    return "http://127.0.0.1:" + issuerHost.getAddress().getPort();
  }

  /** Publishes the server's issuer documents on the loopback host. */
  void publish(OidcIssuer issuer) {
    issuer.exportTo(issuerDir);
  }

  /** The wire body of an azurerm connection on this emulator. */
  ObjectNode connection(String name, String scheme, String clientId) {
    ObjectNode n = Harness.JSON.createObjectNode();
    n.put("name", name);
    n.put("kind", "azurerm");
    n.put("scheme", scheme);
    n.put("tenantid", TENANT);
    if (clientId != null) {
      n.put("serviceprincipalid", clientId);
    }
    n.put("subscriptionId", SUB);
    n.put("environment", "Custom");
    n.put("activeDirectoryAuthority", azure.authorityHost());
    n.put("resourceManagerUrl", azure.armEndpoint());
    n.put("resourceManagerAudience", "https://management.azure.com/");
    n.put("caBundle", azure.caPem());
    return n;
  }

  ObjectNode secretConnection(String name, String secret) {
    ObjectNode n = connection(name, "ServicePrincipal", SECRET_APP);
    n.put("authenticationType", "spnKey");
    n.put("servicePrincipalKey", secret);
    return n;
  }

  /** RSA (MSAL signs client assertions with RS256 only), self-signed; PKCS#8 key then cert. */
  private static String certificatePem(X509Certificate[] out) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    KeyPair kp = g.generateKeyPair();
    X500Name subject = new X500Name("CN=sightline-server-test");
    X509Certificate cert =
        new JcaX509CertificateConverter()
            .getCertificate(
                new JcaX509v3CertificateBuilder(
                        subject,
                        BigInteger.valueOf(System.nanoTime()),
                        Date.from(Instant.now().minus(Duration.ofMinutes(5))),
                        Date.from(Instant.now().plus(Duration.ofDays(1))),
                        subject,
                        kp.getPublic())
                    .build(new JcaContentSignerBuilder("SHA256withRSA").build(kp.getPrivate())));
    out[0] = cert;
    return TestCa.pem(kp.getPrivate()) + TestCa.pem(cert);
  }

  @Override
  public void close() {
    issuerHost.stop(0);
    kube.close();
    azure.close();
  }

  static String utf8(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  static void ignore(IOException e) {}
}
