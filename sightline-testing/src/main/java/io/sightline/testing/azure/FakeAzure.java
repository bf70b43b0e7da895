package io.sightline.testing.azure;

import com.nimbusds.jose.jwk.JWKSet;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.sightline.testing.azure.internal.ArmEndpoints;
import io.sightline.testing.azure.internal.Config;
import io.sightline.testing.azure.internal.EntraEndpoints;
import io.sightline.testing.azure.internal.EntraEndpoints.DeviceFlow;
import io.sightline.testing.azure.internal.Http;
import io.sightline.testing.azure.internal.LoopbackTls;
import io.sightline.testing.azure.internal.PipelinesEndpoints;
import io.sightline.testing.azure.internal.TokenMinter;
import io.sightline.testing.kube.OidcConfig;
import io.sightline.testing.pki.TestCa;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An Entra ID and Azure Resource Manager emulator over HTTPS on 127.0.0.1, for tests that use real
 * Azure clients (azure-identity, kubelogin-style plugins, plain HTTP) and real protocols. It never
 * contacts an Azure host or the instance metadata service.
 *
 * <pre>{@code
 * try (FakeAzure azure = FakeAzure.builder()
 *         .tenant(TENANT)
 *         .application(EntraApp.builder(TENANT, CLIENT).secret("s3cret").build())
 *         .cluster(AksCluster.builder(SUB, "rg", "aks1").localAccountsDisabled().build())
 *         .allow(appObjectId, "/subscriptions/" + SUB, ArmAction.values())
 *         .start()) {
 *   new ClientSecretCredentialBuilder()
 *       .authorityHost(azure.authorityHost()).tenantId(TENANT).disableInstanceDiscovery()
 *       .httpClient(new JdkHttpClientBuilder(
 *           java.net.http.HttpClient.newBuilder().sslContext(azure.clientSslContext())).build())
 *       ...
 * }
 * }</pre>
 *
 * <p>One HTTPS port serves both: Entra under {@code /{tenant}/...}, {@code /common/...} and the App
 * Service-style managed identity endpoint {@code /msi/token}; ARM under {@code /subscriptions/...}.
 * Clients trust it through {@link #clientSslContext()}, {@link #caCertificate()} or a CA bundle
 * file ({@link #writeCaBundle(Path)}), never through the JVM-wide trust store.
 */
public final class FakeAzure implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(FakeAzure.class);

  /** Scope of the AKS AAD server application, the audience of cluster tokens. */
  public static final String AKS_SCOPE = AksCluster.AKS_SERVER_APP_ID + "/.default";

  private final Config config;
  private final HttpsServer server;
  private final ExecutorService executor;
  private final TokenMinter minter;
  private final EntraEndpoints entra;
  private final ArmEndpoints arm;
  private final PipelinesEndpoints pipelines;
  private final String systemAccessToken = java.util.UUID.randomUUID().toString();
  private final List<String> allRequests = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final X509Certificate trustAnchor;
  private final String base;

  private FakeAzure(Config config) throws IOException {
    this.config = config;
    this.minter = new TokenMinter();
    SSLContext serverSsl;
    if (config.tlsKey == null) {
      TestCa ca = TestCa.create("fake-azure-ca");
      TestCa.Issued cert = ca.issueServer(List.of("localhost"), List.of("127.0.0.1"));
      serverSsl = ca.sslContext(cert);
      this.trustAnchor = ca.certificate();
    } else {
      serverSsl = LoopbackTls.serverContext(config.tlsKey, config.tlsChain);
      this.trustAnchor = config.tlsTrustAnchor;
    }
    AtomicInteger n = new AtomicInteger();
    this.executor =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "fake-azure-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    this.server =
        HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    server.setHttpsConfigurator(new HttpsConfigurator(serverSsl));
    server.setExecutor(executor);
    this.base = "https://127.0.0.1:" + server.getAddress().getPort();
    List<X509Certificate> issuerCas = new java.util.ArrayList<>(config.federationCas);
    issuerCas.add(trustAnchor);
    this.entra =
        new EntraEndpoints(
            config, minter, base, LoopbackTls.trusting(issuerCas.toArray(X509Certificate[]::new)));
    this.arm = new ArmEndpoints(config, minter);
    this.pipelines = new PipelinesEndpoints(minter, base, systemAccessToken);
    server.createContext("/", this::dispatch);
    server.start();
    log.debug("fake Azure listens on {}", base);
  }

  public static Builder builder() {
    return new Builder();
  }

  private void dispatch(HttpExchange ex) throws IOException {
    try (ex) {
      allRequests.add(ex.getRequestMethod() + " " + ex.getRequestURI().getPath());
      if (entra.handle(ex) || arm.handle(ex) || pipelines.handle(ex)) {
        return;
      }
      Http.body(ex);
      Http.json(
          ex,
          404,
          Map.of(
              "error",
              Map.of(
                  "code",
                  "NotFound",
                  "message",
                  "The fake Azure does not serve " + ex.getRequestURI().getPath())));
    } catch (RuntimeException | IOException e) {
      log.warn("fake Azure failed on {} {}", ex.getRequestMethod(), ex.getRequestURI(), e);
      throw e;
    }
  }

  // ---- endpoints ---------------------------------------------------------------------------

  /** The authority host (Entra's {@code https://login.microsoftonline.com} here). */
  public String authorityHost() {
    return base;
  }

  /** The ARM endpoint (Azure's {@code https://management.azure.com} here); same port. */
  public String armEndpoint() {
    return base;
  }

  /** The v2.0 token endpoint of {@code tenant}: the audience of certificate client assertions. */
  public String tokenEndpoint(String tenant) {
    return entra.tokenEndpoint(tenant);
  }

  /**
   * The issuer of v2.0 tokens (and of the discovery document), {@code {authority}/{tenant}/v2.0}.
   */
  public String issuerV2(String tenant) {
    return entra.issuerV2(tenant);
  }

  /** The issuer of v1.0 access tokens, {@code https://sts.windows.net/{tenant}/}, as AKS trusts. */
  public String issuerV1(String tenant) {
    return EntraEndpoints.issuerV1(tenant);
  }

  /** The issuer access tokens carry with the configured {@code accessTokenVersion}. */
  public String accessTokenIssuer(String tenant) {
    return config.accessTokenVersion == 1 ? issuerV1(tenant) : issuerV2(tenant);
  }

  /** The App Service-style managed identity endpoint ({@code IDENTITY_ENDPOINT}). */
  public String managedIdentityEndpoint() {
    return base + "/msi/token";
  }

  /** The secret the managed identity endpoint expects in {@code X-IDENTITY-HEADER}. */
  public String managedIdentityHeader() {
    return config.managedIdentityHeader;
  }

  /** {@code IDENTITY_ENDPOINT} and {@code IDENTITY_HEADER} as App Service sets them. */
  public Map<String, String> managedIdentityEnvironment() {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("IDENTITY_ENDPOINT", managedIdentityEndpoint());
    env.put("IDENTITY_HEADER", managedIdentityHeader());
    return env;
  }

  /** The signing keys of every token the emulator issues (also served at the JWKS URLs). */
  public JWKSet jwks() {
    return minter.publicJwks();
  }

  /**
   * The OIDC configuration of an AKS API server that trusts this Entra for {@code tenant}, as AKS
   * with Entra ID does: issuer {@link #accessTokenIssuer(String)}, audience {@value
   * AksCluster#AKS_SERVER_APP_ID}, groups from {@code groups}, keys inline (the v1 issuer {@code
   * https://sts.windows.net/...} is not on loopback, so nothing is fetched). {@code usernameClaim}
   * is {@code oid} (works for users and applications alike) or {@code upn} (users only).
   */
  public OidcConfig aksOidc(String tenant, String usernameClaim) {
    return OidcConfig.builder(accessTokenIssuer(tenant))
        .clientId(AksCluster.AKS_SERVER_APP_ID)
        .jwks(minter.publicJwks())
        .usernameClaim(usernameClaim, "")
        .groupsClaim("groups", "")
        .build();
  }

  /** {@link #aksOidc(String, String)} with the username from {@code oid}. */
  public OidcConfig aksOidc(String tenant) {
    return aksOidc(tenant, "oid");
  }

  /**
   * Adds a cluster while running (its API server may trust this emulator, which must exist first:
   * see {@link #aksOidc(String)}).
   */
  public FakeAzure addCluster(AksCluster cluster) {
    config.clusters.add(cluster);
    return this;
  }

  /** Registers an application while running (e.g. one whose federated issuer is this emulator). */
  public FakeAzure addApplication(EntraApp app) {
    config.tenants.add(app.tenantId());
    config.apps.add(app);
    return this;
  }

  // ---- Azure Pipelines --------------------------------------------------------------------

  /**
   * Lets Azure Pipelines jobs ask for an ID token for {@code serviceConnectionId}: issuer {@link
   * #issuerV2(String) issuerV2(tenant)}, subject {@code subject}, audience {@code
   * api://AzureADTokenExchange}. Pair it with an application whose {@link FederatedCredential}
   * names that issuer and subject.
   */
  public FakeAzure addPipelinesServiceConnection(
      String tenant, String serviceConnectionId, String subject) {
    pipelines.add(new PipelinesEndpoints.Connection(tenant, serviceConnectionId, subject));
    return this;
  }

  /** {@code SYSTEM_OIDCREQUESTURI} of an emulated Azure Pipelines job. */
  public String pipelinesOidcRequestUri() {
    return base + PipelinesEndpoints.PATH;
  }

  /** {@code System.AccessToken} of that job. */
  public String pipelinesSystemAccessToken() {
    return systemAccessToken;
  }

  /** Adds a role assignment while running; see {@link Builder#allow}. */
  public FakeAzure allow(String principalObjectId, String scope, ArmAction... actions) {
    config.grants.add(Config.grant(principalObjectId, scope, actions));
    return this;
  }

  // ---- TLS ---------------------------------------------------------------------------------

  /** The certificate clients must trust (the server's own, or the configured test CA). */
  public X509Certificate caCertificate() {
    return trustAnchor;
  }

  public String caPem() {
    return LoopbackTls.pem(trustAnchor);
  }

  /** An SSLContext that trusts only this emulator's CA, for JDK HttpClient and azure-identity. */
  public SSLContext clientSslContext() {
    return LoopbackTls.trusting(trustAnchor);
  }

  /** Writes the CA as a PEM bundle file (for {@code certificate-authority} or curl). */
  public Path writeCaBundle(Path file) throws IOException {
    Files.writeString(file, caPem(), StandardCharsets.US_ASCII);
    return file;
  }

  // ---- test controls -----------------------------------------------------------------------

  /** Waits for a client to start a device code flow and returns its user code. */
  public String awaitDeviceCode(Duration timeout) throws InterruptedException {
    return entra.awaitDeviceFlow(timeout).userCode;
  }

  /** The user signs in with {@code upn} on the device code page and approves {@code userCode}. */
  public void approveDeviceCode(String userCode, String upn) {
    DeviceFlow f = entra.flowByUserCode(userCode);
    f.user = entra.user(f.tenant, upn);
    f.state.compareAndSet("pending", "approved");
  }

  /** The user declines the sign-in: polling answers {@code authorization_declined}. */
  public void declineDeviceCode(String userCode) {
    entra.flowByUserCode(userCode).state.compareAndSet("pending", "declined");
  }

  /** The code expires now: polling answers {@code expired_token}. */
  public void expireDeviceCode(String userCode) {
    entra.flowByUserCode(userCode).state.compareAndSet("pending", "expired");
  }

  /**
   * Stalls Entra's token, device code and managed identity endpoints: requests are accepted and not
   * answered until {@code stalled} is false again or the emulator closes.
   */
  public void stallTokenEndpoint(boolean stalled) {
    entra.stall(stalled);
  }

  /** Delays every Entra token answer by {@code delay} ({@link Duration#ZERO} to stop). */
  public void delayTokenAnswers(Duration delay) {
    entra.delay(Objects.requireNonNull(delay));
  }

  /**
   * Stalls ARM: requests are accepted and not answered until {@code stalled} is false again or the
   * emulator closes.
   */
  public void stallArm(boolean stalled) {
    arm.stall(stalled);
  }

  /** Delays every ARM answer by {@code delay} ({@link Duration#ZERO} to stop). */
  public void delayArmAnswers(Duration delay) {
    arm.delay(Objects.requireNonNull(delay));
  }

  /** ARM requests so far, oldest first, as {@code "METHOD /path"}. */
  public List<String> armRequests() {
    return arm.requests();
  }

  /** Every request so far on any route, oldest first, as {@code "METHOD /path"} (no query). */
  public List<String> requests() {
    return List.copyOf(allRequests);
  }

  /** A request seen by the token, device code or managed identity endpoint. */
  public record TokenRequest(String grantType, String clientId, String tenant) {}

  /** The token-endpoint requests so far, oldest first (no secrets recorded). */
  public List<TokenRequest> tokenRequests() {
    return entra.requests().stream()
        .map(r -> new TokenRequest(r.grantType(), r.clientId(), r.tenant()))
        .toList();
  }

  /**
   * How many token requests {@code clientId} made with {@code grantType} ({@code
   * client_credentials}, {@code password}, {@code refresh_token}, {@code authorization_code},
   * {@code urn:ietf:params:oauth:grant-type:device_code}, {@code device_code_start}, {@code
   * managed_identity}).
   */
  public long requestCount(String grantType, String clientId) {
    return entra.requests().stream()
        .filter(r -> r.grantType().equals(grantType) && Objects.equals(r.clientId(), clientId))
        .count();
  }

  /**
   * Mints an access token for an application directly (as client credentials would), for tests that
   * need a token without a client library.
   */
  public String applicationToken(String tenant, String clientId, String audience) {
    return minter.sign(entra.appClaims(entra.app(tenant, clientId), audience, "1"));
  }

  /** Mints an access token for a user signed in through {@code clientId}. */
  public String userToken(String tenant, String clientId, String upn, String audience) {
    return minter.sign(
        entra.userClaims(
            entra.app(tenant, clientId), entra.user(tenant, upn), audience, List.of("pwd")));
  }

  /** Signs arbitrary claims with the emulator's key (e.g. an expired or mis-addressed token). */
  public String sign(Map<String, Object> claims) {
    return minter.sign(claims);
  }

  @Override
  public void close() {
    entra.close();
    arm.close();
    server.stop(0);
    executor.shutdownNow();
  }

  /** Configures a {@link FakeAzure}. Everything is optional except at least one tenant. */
  public static final class Builder {
    private final Config config = new Config();

    private Builder() {}

    /** A tenant (directory) id the emulator knows; others answer AADSTS90002. */
    public Builder tenant(String tenantId) {
      config.tenants.add(Objects.requireNonNull(tenantId));
      return this;
    }

    public Builder application(EntraApp app) {
      config.tenants.add(app.tenantId());
      config.apps.add(app);
      return this;
    }

    public Builder user(EntraUser user) {
      config.tenants.add(user.tenantId());
      config.users.add(user);
      return this;
    }

    /** A managed identity; the first one is the system-assigned identity. */
    public Builder managedIdentity(ManagedIdentity identity) {
      config.tenants.add(identity.tenantId());
      config.managedIdentities.add(identity);
      return this;
    }

    public Builder cluster(AksCluster cluster) {
      config.clusters.add(cluster);
      return this;
    }

    /** A resource group that exists (groups holding a cluster exist anyway). */
    public Builder resourceGroup(String subscriptionId, String resourceGroup) {
      config.resourceGroups.add((subscriptionId + "/" + resourceGroup).toLowerCase(Locale.ROOT));
      return this;
    }

    /**
     * A role assignment: {@code principalObjectId} (the token's {@code oid}) may perform {@code
     * actions} at {@code scope} ({@code /subscriptions/S}, {@code .../resourceGroups/RG} or a
     * cluster's id) and below. Without one, ARM answers 403 {@code AuthorizationFailed}.
     */
    public Builder allow(String principalObjectId, String scope, ArmAction... actions) {
      config.grants.add(Config.grant(principalObjectId, scope, actions));
      return this;
    }

    /** Lifetime of application and user access tokens (default 75 minutes). */
    public Builder tokenLifetime(Duration lifetime) {
      config.tokenLifetime = lifetime;
      return this;
    }

    /** Lifetime of managed identity tokens (default 24 hours). */
    public Builder managedIdentityTokenLifetime(Duration lifetime) {
      config.managedIdentityTokenLifetime = lifetime;
      return this;
    }

    public Builder deviceCodeLifetime(Duration lifetime) {
      config.deviceCodeLifetime = lifetime;
      return this;
    }

    /**
     * Access token format: 1 (default; {@code iss} {@code https://sts.windows.net/{tenant}/},
     * {@code appid}, {@code upn}, as ARM's and AKS's applications get) or 2 ({@code iss} {@code
     * {authority}/{tenant}/v2.0}, {@code azp}, {@code preferred_username}).
     */
    public Builder accessTokenVersion(int version) {
      if (version != 1 && version != 2) {
        throw new IllegalArgumentException("access token version is 1 or 2");
      }
      config.accessTokenVersion = version;
      return this;
    }

    /** The audience ARM accepts (default {@code https://management.azure.com/}). */
    public Builder armAudience(String audience) {
      config.armAudience = audience;
      return this;
    }

    /** The user the authorize endpoint signs in and approves without a page (auth code + PKCE). */
    public Builder interactiveUser(String upn) {
      config.interactiveUser = upn;
      return this;
    }

    /** Serves TLS with this key and chain, and tells clients to trust {@code trustAnchor}. */
    public Builder tls(PrivateKey key, X509Certificate[] chain, X509Certificate trustAnchor) {
      config.tlsKey = key;
      config.tlsChain = chain.clone();
      config.tlsTrustAnchor = trustAnchor;
      return this;
    }

    /**
     * Trusts {@code ca} (besides this emulator's own CA) when fetching a federated issuer's
     * discovery document and JWKS over HTTPS.
     */
    public Builder trustIssuerCa(X509Certificate ca) {
      config.federationCas.add(Objects.requireNonNull(ca));
      return this;
    }

    public FakeAzure start() {
      if (config.tenants.isEmpty()) {
        throw new IllegalStateException("a FakeAzure needs at least one tenant");
      }
      // First-party public clients exist in every tenant, as in Entra: the Azure CLI (kubelogin's
      // azurecli/devicecode default) and the AKS client application of AKS kubeconfigs.
      for (String tenant : List.copyOf(config.tenants)) {
        for (String client :
            List.of(AksCluster.AZURE_CLI_CLIENT_ID, AksCluster.AKS_CLIENT_APP_ID)) {
          boolean known =
              config.apps.stream()
                  .anyMatch(a -> a.tenantId().equals(tenant) && a.clientId().equals(client));
          if (!known) {
            config.apps.add(EntraApp.builder(tenant, client).publicClient().build());
          }
        }
      }
      try {
        return new FakeAzure(config);
      } catch (IOException e) {
        throw new IllegalStateException("cannot start the fake Azure", e);
      }
    }
  }
}
