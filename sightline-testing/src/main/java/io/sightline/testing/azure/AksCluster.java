package io.sightline.testing.azure;

import io.sightline.testing.kube.FakeKubeApiServer;
import io.sightline.testing.pki.TestCa;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * An emulated AKS cluster as ARM describes it ({@code Microsoft.ContainerService/managedClusters}),
 * and the API server its kubeconfigs point to.
 *
 * <p>The kubeconfigs' {@code server} is {@link Builder#apiServer(URI, String)} — typically a {@code
 * FakeKubeApiServer} on loopback whose OIDC authenticator trusts the emulated Entra. Without one
 * the cluster answers ARM calls with a placeholder server {@code https://127.0.0.1:1}.
 */
public final class AksCluster {
  /** The application id of the AKS AAD server application: the audience of cluster tokens. */
  public static final String AKS_SERVER_APP_ID = "6dae42f8-4368-4678-94ff-3960e28e3630";

  /** The Azure CLI's client id, which AKS writes into user kubeconfigs for kubelogin. */
  public static final String AZURE_CLI_CLIENT_ID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";

  /** The AKS AAD client application AKS wrote into legacy {@code azure} auth-provider configs. */
  public static final String AKS_CLIENT_APP_ID = "80faf920-1908-4b52-b5ef-a8e7bedfc67a";

  private final String subscriptionId;
  private final String resourceGroup;
  private final String name;
  private final String location;
  private final String kubernetesVersion;
  private final boolean aad;
  private final boolean azureRbac;
  private final boolean localAccountsDisabled;
  private final boolean privateCluster;
  private final boolean enableRbac;
  private final URI apiServer;
  private final String caPem;
  private final String staticClientCertPem;
  private final String staticClientKeyPem;
  private final String staticToken;
  private final List<String> adminGroupObjectIds;

  private AksCluster(Builder b) {
    this.subscriptionId = b.subscriptionId;
    this.resourceGroup = b.resourceGroup;
    this.name = b.name;
    this.location = b.location;
    this.kubernetesVersion = b.kubernetesVersion;
    this.aad = b.aad;
    this.azureRbac = b.azureRbac;
    this.localAccountsDisabled = b.localAccountsDisabled;
    this.privateCluster = b.privateCluster;
    this.enableRbac = b.enableRbac;
    this.apiServer = b.apiServer;
    this.caPem = b.caPem;
    this.staticClientCertPem = b.staticClientCertPem;
    this.staticClientKeyPem = b.staticClientKeyPem;
    this.staticToken = b.staticToken;
    this.adminGroupObjectIds = List.copyOf(b.adminGroupObjectIds);
    if (localAccountsDisabled && !aad) {
      throw new IllegalArgumentException(
          "AKS allows disableLocalAccounts only on clusters with Entra ID (aadProfile.managed)");
    }
    if (azureRbac && !aad) {
      throw new IllegalArgumentException("Azure RBAC needs Entra ID integration");
    }
  }

  public static Builder builder(String subscriptionId, String resourceGroup, String name) {
    return new Builder(subscriptionId, resourceGroup, name);
  }

  /** The ARM resource id, as ARM spells it. */
  public String id() {
    return "/subscriptions/"
        + subscriptionId
        + "/resourcegroups/"
        + resourceGroup
        + "/providers/Microsoft.ContainerService/managedClusters/"
        + name;
  }

  public String subscriptionId() {
    return subscriptionId;
  }

  public String resourceGroup() {
    return resourceGroup;
  }

  public String name() {
    return name;
  }

  public String location() {
    return location;
  }

  public String kubernetesVersion() {
    return kubernetesVersion;
  }

  /** {@code aadProfile.managed}: the cluster authenticates users with Entra ID tokens. */
  public boolean aad() {
    return aad;
  }

  public boolean azureRbac() {
    return azureRbac;
  }

  public boolean localAccountsDisabled() {
    return localAccountsDisabled;
  }

  public boolean privateCluster() {
    return privateCluster;
  }

  public boolean enableRbac() {
    return enableRbac;
  }

  public URI apiServer() {
    return apiServer;
  }

  /** The host part of the API server URL: ARM's {@code fqdn} (or {@code privateFQDN}). */
  public String fqdn() {
    return apiServer.getHost();
  }

  /** The cluster CA (PEM) written as {@code certificate-authority-data}, or null. */
  public String caPem() {
    return caPem;
  }

  public String staticClientCertPem() {
    return staticClientCertPem;
  }

  public String staticClientKeyPem() {
    return staticClientKeyPem;
  }

  public String staticToken() {
    return staticToken;
  }

  public List<String> adminGroupObjectIds() {
    return adminGroupObjectIds;
  }

  /** Builds an {@link AksCluster}; defaults: Entra ID, Kubernetes RBAC, public, version 1.30.6. */
  public static final class Builder {
    private final String subscriptionId;
    private final String resourceGroup;
    private final String name;
    private String location = "westeurope";
    private String kubernetesVersion = "1.30.6";
    private boolean aad = true;
    private boolean azureRbac;
    private boolean localAccountsDisabled;
    private boolean privateCluster;
    private boolean enableRbac = true;
    private URI apiServer = URI.create("https://127.0.0.1:1");
    private String caPem;
    private String staticClientCertPem;
    private String staticClientKeyPem;
    private String staticToken;
    private final List<String> adminGroupObjectIds = new ArrayList<>();

    private Builder(String subscriptionId, String resourceGroup, String name) {
      this.subscriptionId = Objects.requireNonNull(subscriptionId).toLowerCase(Locale.ROOT);
      this.resourceGroup = Objects.requireNonNull(resourceGroup);
      this.name = Objects.requireNonNull(name);
    }

    public Builder location(String location) {
      this.location = location;
      return this;
    }

    public Builder kubernetesVersion(String version) {
      this.kubernetesVersion = version;
      return this;
    }

    /** A cluster without Entra ID: user credentials are static (client certificate / token). */
    public Builder withoutAad() {
      this.aad = false;
      return this;
    }

    public Builder azureRbac() {
      this.azureRbac = true;
      return this;
    }

    /** {@code disableLocalAccounts}: ARM refuses {@code listClusterAdminCredential}. */
    public Builder localAccountsDisabled() {
      this.localAccountsDisabled = true;
      return this;
    }

    /** {@code apiServerAccessProfile.enablePrivateCluster}: ARM reports a {@code privateFQDN}. */
    public Builder privateCluster() {
      this.privateCluster = true;
      return this;
    }

    public Builder enableRbac(boolean enableRbac) {
      this.enableRbac = enableRbac;
      return this;
    }

    public Builder adminGroups(String... groupObjectIds) {
      adminGroupObjectIds.addAll(List.of(groupObjectIds));
      return this;
    }

    /** The API server the kubeconfigs point to, and its CA certificate (PEM). */
    public Builder apiServer(URI server, String caPem) {
      this.apiServer = Objects.requireNonNull(server);
      this.caPem = caPem;
      return this;
    }

    /**
     * Backs the cluster with a running {@link FakeKubeApiServer}: kubeconfigs point to it and trust
     * its CA, and the static (admin) account is a {@code system:masters} client certificate of its
     * CA plus its admin token. Build that server with {@code .oidc(fakeAzure.aksOidc(tenant))} so
     * Entra tokens authenticate.
     */
    public Builder backedBy(FakeKubeApiServer kube) {
      apiServer(kube.url(), kube.caCertPem());
      TestCa.Issued admin = kube.clientCertificate("masterclient", "system:masters");
      return staticCredential(admin.certPem(), admin.keyPem(), kube.adminToken());
    }

    /**
     * The static local account written into admin kubeconfigs (and user kubeconfigs of clusters
     * without Entra ID): a client certificate and key (PEM) and/or a bearer token.
     */
    public Builder staticCredential(String clientCertPem, String clientKeyPem, String token) {
      this.staticClientCertPem = clientCertPem;
      this.staticClientKeyPem = clientKeyPem;
      this.staticToken = token;
      return this;
    }

    public AksCluster build() {
      return new AksCluster(this);
    }
  }
}
