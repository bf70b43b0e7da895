package io.sightline.connections.azurerm;

import io.sightline.azure.AzureCloud;
import io.sightline.azure.AzureTls;
import io.sightline.azure.OidcIssuer;
import io.sightline.azure.TokenSpec;
import io.sightline.connections.ConnectionKind;
import io.sightline.connections.ConnectionSpec;
import io.sightline.connections.ConnectionType;
import io.sightline.connections.FieldSpec;
import io.sightline.connections.FieldType;
import io.sightline.core.SightlineException;
import io.sightline.kubernetes.ClusterAccess;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * {@code kind: azurerm}: an Azure Resource Manager connection (Azure DevOps' "Azure Resource
 * Manager" service endpoint). Its {@code scheme} is the {@link ConnectionKind}'s authorization type
 * — {@code ServicePrincipal} (with {@code authenticationType} {@code spnKey} or {@code
 * spnCertificate}), {@code WorkloadIdentityFederation} (the server signs the assertion, no secret
 * stored) or {@code ManagedServiceIdentity} (the server's own identity). Nothing touches a cluster
 * at configuration time: verification asks Entra for an ARM token and lists the subscription's AKS
 * clusters; tasks get a fresh Entra token per lease.
 */
public final class AzureRmConnection implements ConnectionType {
  public static final String TENANT_ID = "tenantid";
  public static final String CLIENT_ID = "serviceprincipalid";
  public static final String AUTHENTICATION_TYPE = "authenticationType";
  public static final String CLIENT_SECRET = "servicePrincipalKey";
  public static final String CLIENT_CERTIFICATE = "servicePrincipalCertificate";
  public static final String SUBSCRIPTION_ID = "subscriptionId";
  public static final String SUBSCRIPTION_NAME = "subscriptionName";
  public static final String ENVIRONMENT = "environment";
  public static final String AUTHORITY = "activeDirectoryAuthority";
  public static final String RESOURCE_MANAGER_URL = "resourceManagerUrl";
  public static final String RESOURCE_MANAGER_AUDIENCE = "resourceManagerAudience";
  public static final String CA_BUNDLE = "caBundle";
  public static final String ALLOW_STATIC = "allowStaticCredentials";
  public static final String TOKEN_CACHE = "tokenCache";

  public static final String SPN_KEY = "spnKey";
  public static final String SPN_CERTIFICATE = "spnCertificate";

  /** {@code environment} value for custom endpoints (Azure Stack Hub and other private clouds). */
  public static final String CUSTOM = "Custom";

  public static final AzureRmConnection SERVICE_PRINCIPAL =
      new AzureRmConnection(ConnectionKind.AZURERM_SERVICE_PRINCIPAL);
  public static final AzureRmConnection WORKLOAD_IDENTITY_FEDERATION =
      new AzureRmConnection(ConnectionKind.AZURERM_WORKLOAD_IDENTITY_FEDERATION);
  public static final AzureRmConnection MANAGED_SERVICE_IDENTITY =
      new AzureRmConnection(ConnectionKind.AZURERM_MANAGED_SERVICE_IDENTITY);

  private static final Pattern TENANT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9.-]{0,252}");
  private static final Pattern GUID =
      Pattern.compile(
          "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

  private final ConnectionKind kind;
  private final List<FieldSpec> fields;

  private AzureRmConnection(ConnectionKind kind) {
    this.kind = kind;
    boolean msi = kind == ConnectionKind.AZURERM_MANAGED_SERVICE_IDENTITY;
    List<FieldSpec> f = new ArrayList<>();
    FieldSpec tenant =
        FieldSpec.text(
            TENANT_ID,
            "Tenant id",
            "the Entra ID tenant (directory) id, a GUID, or its domain name"
                + (msi ? "; optional for a managed identity" : ""));
    FieldSpec client =
        FieldSpec.text(
            CLIENT_ID,
            msi ? "Managed identity client id" : "Service principal (client) id",
            msi
                ? "the client id of a user-assigned managed identity; omit it for the"
                    + " system-assigned identity"
                : "the application (client) id of the app registration, a GUID");
    f.add(msi ? tenant : tenant.asRequired());
    f.add(msi ? client : client.asRequired());
    if (kind == ConnectionKind.AZURERM_SERVICE_PRINCIPAL) {
      f.add(
          FieldSpec.text(
                  AUTHENTICATION_TYPE,
                  "Authentication type",
                  "spnKey (a client secret in servicePrincipalKey) or spnCertificate (a PEM in"
                      + " servicePrincipalCertificate)")
              .withDefault(SPN_KEY));
      f.add(
          FieldSpec.text(
                  CLIENT_SECRET,
                  "Client secret",
                  "the client secret's value (not its id), with authenticationType spnKey")
              .asSecret()
              .withAliases("serviceprincipalkey"));
      f.add(
          FieldSpec.text(
                  CLIENT_CERTIFICATE,
                  "Client certificate",
                  "one PEM holding the private key (PKCS#8) and the certificate uploaded to the"
                      + " app, with authenticationType spnCertificate")
              .ofType(FieldType.TEXT)
              .asSecret());
    }
    f.add(
        FieldSpec.text(
                SUBSCRIPTION_ID,
                "Subscription id",
                "the Azure subscription whose AKS clusters this connection reaches, a GUID")
            .asRequired());
    f.add(
        FieldSpec.text(
            SUBSCRIPTION_NAME, "Subscription name", "the subscription's display name (optional)"));
    f.add(
        FieldSpec.text(
                ENVIRONMENT,
                "Environment",
                "AzureCloud, AzureChinaCloud, AzureUSGovernment, or Custom with"
                    + " activeDirectoryAuthority and resourceManagerUrl")
            .withDefault(AzureCloud.AZURE_CLOUD.name()));
    f.add(
        FieldSpec.text(
            AUTHORITY,
            "Entra authority host",
            "environment Custom: the Entra ID authority host, e.g. https://login.example.com/"));
    f.add(
        FieldSpec.text(
            RESOURCE_MANAGER_URL,
            "Resource Manager URL",
            "environment Custom: the ARM endpoint, e.g. https://management.example.com/"));
    f.add(
        FieldSpec.text(
            RESOURCE_MANAGER_AUDIENCE,
            "Resource Manager audience",
            "environment Custom: the audience of ARM tokens; default resourceManagerUrl"));
    f.add(
        FieldSpec.text(
                CA_BUNDLE,
                "CA bundle",
                "PEM certificates to trust for Entra and ARM instead of the default trust (private"
                    + " clouds, TLS-inspecting proxies)")
            .ofType(FieldType.TEXT));
    f.add(
        FieldSpec.flag(
            ALLOW_STATIC,
            "Allow static credentials",
            "let leases hand out ARM's long-lived client certificates (clusters without Entra ID,"
                + " useClusterAdmin); off by default"));
    f.add(
        FieldSpec.flag(
            TOKEN_CACHE,
            "Token cache",
            "reuse one Entra token for several tasks until 5 minutes before it expires (faster;"
                + " tasks then share a token); off by default: a fresh token per task"));
    this.fields = List.copyOf(f);
  }

  @Override
  public ConnectionKind kind() {
    return kind;
  }

  @Override
  public List<FieldSpec> fields() {
    return fields;
  }

  /** The type of an azurerm kind. */
  public static AzureRmConnection of(ConnectionKind kind) {
    return switch (kind) {
      case AZURERM_SERVICE_PRINCIPAL -> SERVICE_PRINCIPAL;
      case AZURERM_WORKLOAD_IDENTITY_FEDERATION -> WORKLOAD_IDENTITY_FEDERATION;
      case AZURERM_MANAGED_SERVICE_IDENTITY -> MANAGED_SERVICE_IDENTITY;
      default -> throw new IllegalArgumentException(kind + " is not an azurerm kind");
    };
  }

  @Override
  public void validate(ConnectionSpec spec) {
    String tenant = spec.string(TENANT_ID);
    if (tenant != null && !TENANT.matcher(tenant).matches()) {
      throw SightlineException.badRequest(
          "INVALID_FIELD",
          TENANT_ID,
          "tenantid '"
              + shorten(tenant)
              + "' is not a tenant: give the directory (tenant) id, a GUID, or its domain name");
    }
    guid(spec, CLIENT_ID, "the application (client) id from the app registration's overview");
    guid(spec, SUBSCRIPTION_ID, "the subscription id from the Azure portal or 'az account show'");
    if (kind == ConnectionKind.AZURERM_SERVICE_PRINCIPAL) {
      String type = spec.string(AUTHENTICATION_TYPE);
      boolean hasKey = spec.secret(CLIENT_SECRET) != null;
      boolean hasCert = spec.secret(CLIENT_CERTIFICATE) != null;
      if (SPN_KEY.equalsIgnoreCase(type)) {
        if (!hasKey) {
          throw SightlineException.badRequest(
              "MISSING_FIELD",
              CLIENT_SECRET,
              "servicePrincipalKey is required with authenticationType spnKey: the client secret's"
                  + " value (or use authenticationType spnCertificate)");
        }
        if (hasCert) {
          throw SightlineException.badRequest(
              "CONFLICTING_FIELDS",
              CLIENT_CERTIFICATE,
              "servicePrincipalCertificate goes with authenticationType spnCertificate: remove it,"
                  + " or set authenticationType spnCertificate and remove servicePrincipalKey");
        }
      } else if (SPN_CERTIFICATE.equalsIgnoreCase(type)) {
        if (!hasCert) {
          throw SightlineException.badRequest(
              "MISSING_FIELD",
              CLIENT_CERTIFICATE,
              "servicePrincipalCertificate is required with authenticationType spnCertificate:"
                  + " one PEM with the private key and the certificate");
        }
        if (hasKey) {
          throw SightlineException.badRequest(
              "CONFLICTING_FIELDS",
              CLIENT_SECRET,
              "servicePrincipalKey goes with authenticationType spnKey: remove it");
        }
        String pem = spec.secret(CLIENT_CERTIFICATE).reveal();
        if (!pem.contains("PRIVATE KEY-----")) {
          throw SightlineException.badRequest(
              "INVALID_FIELD",
              CLIENT_CERTIFICATE,
              "servicePrincipalCertificate holds no private key: give one PEM with the private"
                  + " key (PKCS#8, BEGIN PRIVATE KEY) and the certificate");
        }
        if (!pem.contains("-----BEGIN CERTIFICATE-----")) {
          throw SightlineException.badRequest(
              "INVALID_FIELD",
              CLIENT_CERTIFICATE,
              "servicePrincipalCertificate holds no certificate: add the certificate (BEGIN"
                  + " CERTIFICATE) after the private key");
        }
      } else {
        throw SightlineException.badRequest(
            "INVALID_FIELD",
            AUTHENTICATION_TYPE,
            "authenticationType '"
                + shorten(type)
                + "' is not known: use spnKey or spnCertificate");
      }
    }
    cloud(spec);
    if (spec.string(CA_BUNDLE) != null) {
      try {
        AzureTls.caBundlePem(spec.string(CA_BUNDLE));
      } catch (SightlineException e) {
        throw SightlineException.badRequest(
            "INVALID_FIELD", CA_BUNDLE, e.getMessage().replace("the CA bundle", "caBundle"));
      }
    }
  }

  private static void guid(ConnectionSpec spec, String field, String where) {
    String v = spec.string(field);
    if (v != null && !GUID.matcher(v).matches()) {
      throw SightlineException.badRequest(
          "INVALID_FIELD", field, field + " '" + shorten(v) + "' is not a GUID: give " + where);
    }
  }

  private static String shorten(String s) {
    return s == null ? "" : s.length() > 60 ? s.substring(0, 60) + "…" : s;
  }

  /** The cloud the spec names (its endpoints checked). */
  public static AzureCloud cloud(ConnectionSpec spec) {
    String env = spec.string(ENVIRONMENT);
    String authority = spec.string(AUTHORITY);
    String arm = spec.string(RESOURCE_MANAGER_URL);
    String audience = spec.string(RESOURCE_MANAGER_AUDIENCE);
    boolean custom =
        env != null
            && (env.equalsIgnoreCase(CUSTOM)
                || env.equalsIgnoreCase("AzureStack")
                || env.equalsIgnoreCase("custom endpoints"));
    if (!custom) {
      if (authority != null || arm != null || audience != null) {
        String f =
            authority != null
                ? AUTHORITY
                : arm != null ? RESOURCE_MANAGER_URL : RESOURCE_MANAGER_AUDIENCE;
        throw SightlineException.badRequest(
            "CONFLICTING_FIELDS",
            f,
            f
                + " goes with environment Custom: remove it, or set environment Custom and give"
                + " both activeDirectoryAuthority and resourceManagerUrl");
      }
      try {
        return AzureCloud.named(env);
      } catch (SightlineException e) {
        throw SightlineException.badRequest(
            "INVALID_FIELD",
            ENVIRONMENT,
            "environment '"
                + shorten(env)
                + "' is not known: use AzureCloud, AzureChinaCloud, AzureUSGovernment, or Custom"
                + " with activeDirectoryAuthority and resourceManagerUrl");
      }
    }
    httpsUrl(AUTHORITY, authority);
    httpsUrl(RESOURCE_MANAGER_URL, arm);
    return new AzureCloud(
        CUSTOM, URI.create(authority), URI.create(arm), audience != null ? audience : arm);
  }

  private static void httpsUrl(String field, String value) {
    if (value == null) {
      throw SightlineException.badRequest(
          "MISSING_FIELD",
          field,
          field + " is required with environment Custom: an https:// URL of your cloud");
    }
    URI u;
    try {
      u = new URI(value);
    } catch (Exception e) {
      u = null;
    }
    if (u == null
        || u.getScheme() == null
        || !u.getScheme().toLowerCase(Locale.ROOT).equals("https")
        || u.getHost() == null
        || u.getRawQuery() != null
        || u.getRawFragment() != null) {
      throw SightlineException.badRequest(
          "INVALID_FIELD",
          field,
          field
              + " '"
              + shorten(value)
              + "' is not an https:// URL without query: e.g. https://login.example.com/");
    }
  }

  /**
   * An azurerm connection reaches ARM, not a cluster: there is no cluster access to probe.
   *
   * @throws SightlineException always, 400 {@code NOT_A_CLUSTER_CONNECTION}
   */
  @Override
  public ClusterAccess access(ConnectionSpec spec) {
    throw SightlineException.badRequest(
        "NOT_A_CLUSTER_CONNECTION",
        "kind",
        "an azurerm connection reaches Azure Resource Manager, not one cluster: pick an AKS"
            + " cluster with GET /api/v1/connections/"
            + spec.name()
            + "/aks/clusters, and use it as a target (azureConnection, resourceGroup, cluster)");
  }

  /**
   * On an update: the stored secret that the given {@code authenticationType} no longer uses
   * (switching from a secret to a certificate, or back) is dropped instead of kept.
   *
   * @return the names of stored secrets to drop
   */
  public static java.util.Set<String> secretsToDrop(ConnectionSpec given) {
    if (given.kind() != ConnectionKind.AZURERM_SERVICE_PRINCIPAL) {
      return java.util.Set.of();
    }
    return SPN_CERTIFICATE.equalsIgnoreCase(given.string(AUTHENTICATION_TYPE))
        ? java.util.Set.of(CLIENT_SECRET)
        : java.util.Set.of(CLIENT_CERTIFICATE);
  }

  /** Whether leases may hand out ARM's static client certificates. */
  public static boolean allowsStatic(ConnectionSpec spec) {
    return spec.bool(ALLOW_STATIC);
  }

  /** Whether Entra tokens are cached and shared between tasks. */
  public static boolean tokenCache(ConnectionSpec spec) {
    return spec.bool(TOKEN_CACHE);
  }

  /**
   * How the connection signs in to Entra.
   *
   * @param issuer the server's OIDC issuer (WorkloadIdentityFederation signs with it)
   */
  public static TokenSpec tokenSpec(ConnectionSpec spec, OidcIssuer issuer) {
    String tenant = spec.string(TENANT_ID);
    String client = spec.string(CLIENT_ID);
    switch (spec.kind()) {
      case AZURERM_SERVICE_PRINCIPAL -> {
        if (SPN_CERTIFICATE.equalsIgnoreCase(spec.string(AUTHENTICATION_TYPE))) {
          return new TokenSpec.ClientCertificatePem(
              tenant, client, spec.secret(CLIENT_CERTIFICATE));
        }
        return new TokenSpec.ClientSecret(tenant, client, spec.secret(CLIENT_SECRET));
      }
      case AZURERM_WORKLOAD_IDENTITY_FEDERATION -> {
        if (issuer == null) {
          throw new SightlineException(
              "ISSUER_NOT_CONFIGURED",
              503,
              null,
              "workload identity federation needs the server's OIDC issuer, which is not"
                  + " configured on this server",
              null,
              null);
        }
        String name = spec.name();
        return new TokenSpec.ClientAssertion(
            tenant, client, () -> issuer.clientAssertion(name).reveal());
      }
      case AZURERM_MANAGED_SERVICE_IDENTITY -> {
        return new TokenSpec.ManagedIdentity(client);
      }
      default -> throw new IllegalArgumentException(spec.kind() + " is not an azurerm kind");
    }
  }
}
