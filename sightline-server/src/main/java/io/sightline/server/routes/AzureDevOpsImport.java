package io.sightline.server.routes;

import com.fasterxml.jackson.databind.JsonNode;
import io.sightline.connections.ConnectionKind;
import io.sightline.connections.ConnectionSpec;
import io.sightline.connections.azurerm.AzureRmConnection;
import io.sightline.connections.azuresubscription.AzureSubscriptionConnection;
import io.sightline.connections.kubeconfig.KubeconfigConnection;
import io.sightline.connections.serviceaccount.ServiceAccountConnection;
import io.sightline.core.AuditEvent;
import io.sightline.core.SecretValue;
import io.sightline.core.SightlineException;
import io.sightline.server.http.Call;
import io.sightline.store.Connections.ConnectionRecord;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code POST /api/v1/connections/import/azure-devops}: what Azure DevOps' service-endpoint REST
 * API returns (one endpoint, or {@code {"count", "value": [...]}}), the one route that ignores
 * unknown fields. Every imported connection is saved unverified (import never dials a cluster) and
 * listed with what it still needs.
 */
final class AzureDevOpsImport {
  /** One created (or, on a dry run, would-be created) connection. */
  record Created(
      String name,
      String sourceName,
      String kind,
      String authorizationType,
      boolean verified,
      List<String> needs) {}

  record Skipped(String name, String reason) {}

  record ImportResult(List<Created> created, List<Skipped> skipped, boolean dryRun) {}

  private static final int MAX_ENDPOINTS = 500;

  private final Services s;

  AzureDevOpsImport(Services s) {
    this.s = s;
  }

  Object handle(Call c) {
    boolean dryRun = ConnectionBodies.flag(c, "dryRun", false);
    JsonNode body = ConnectionBodies.tree(c, true);
    List<JsonNode> endpoints = new ArrayList<>();
    if (body.has("value")) {
      JsonNode v = body.get("value");
      if (!v.isArray()) {
        throw SightlineException.badRequest(
            "INVALID_TYPE", "value", "value must be the array of service endpoints");
      }
      v.forEach(endpoints::add);
    } else {
      endpoints.add(body);
    }
    if (endpoints.size() > MAX_ENDPOINTS) {
      throw SightlineException.badRequest(
          "TOO_MANY_ENDPOINTS", "value", "import at most " + MAX_ENDPOINTS + " endpoints at once");
    }
    List<Created> created = new ArrayList<>();
    List<Skipped> skipped = new ArrayList<>();
    List<ConnectionSpec> toSave = new ArrayList<>();
    List<String> servers = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < endpoints.size(); i++) {
      JsonNode e = endpoints.get(i);
      String source = text(e, "name");
      String label = source == null ? "value[" + i + "]" : source;
      if (!e.isObject()) {
        skipped.add(new Skipped(label, "not a JSON object"));
        continue;
      }
      String type = text(e, "type");
      boolean azurerm = type != null && type.equalsIgnoreCase(ConnectionKind.AZURERM);
      if (type == null || !(type.equalsIgnoreCase("kubernetes") || azurerm)) {
        skipped.add(
            new Skipped(
                label,
                "type "
                    + (type == null ? "(none)" : type)
                    + " is not imported (only kubernetes and azurerm endpoints)"));
        continue;
      }
      String name = sanitize(source);
      if (name == null) {
        skipped.add(new Skipped(label, "its name has no letters or digits to make a name from"));
        continue;
      }
      if (!seen.add(name) || s.store().transact(tx -> tx.connections().find(name)).isPresent()) {
        skipped.add(new Skipped(label, "a connection named " + name + " exists already"));
        continue;
      }
      try {
        Mapped m = azurerm ? mapAzureRm(e, name) : map(e, name);
        toSave.add(m.spec());
        servers.add(m.serverUrl());
        created.add(
            new Created(
                name,
                source,
                m.spec().kind().kind(),
                m.spec().kind().authorizationType(),
                false,
                m.needs()));
      } catch (SightlineException ex) {
        skipped.add(new Skipped(label, ex.getMessage()));
      }
    }
    if (!dryRun && !toSave.isEmpty()) {
      s.store()
          .transact(
              tx -> {
                for (int i = 0; i < toSave.size(); i++) {
                  ConnectionSpec spec = toSave.get(i);
                  ConnectionRecord r =
                      tx.connections()
                          .create(
                              ConnectionRoutes.write(spec, servers.get(i), false, null), c.actor());
                  Created cr = created.get(i);
                  ConnectionRoutes.audit(
                      tx,
                      c,
                      "connection.import",
                      r,
                      "success",
                      Map.of(
                          "source",
                          "azure-devops",
                          "sourceName",
                          cr.sourceName() == null ? "" : cr.sourceName(),
                          "needs",
                          cr.needs()));
                }
                tx.audit()
                    .append(
                        new AuditEvent(
                            "connection.import",
                            c.actor(),
                            "connections",
                            "success",
                            c.requestId(),
                            Map.of("created", toSave.size(), "skipped", skipped.size())));
                return null;
              });
    }
    return new ImportResult(created, skipped, dryRun);
  }

  private record Mapped(ConnectionSpec spec, List<String> needs, String serverUrl) {}

  private static Mapped map(JsonNode e, String name) {
    JsonNode data = e.path("data");
    JsonNode params = e.path("authorization").path("parameters");
    String authType = first(text(data, "authorizationType"), text(params, "authorizationType"));
    String scheme = text(e.path("authorization"), "scheme");
    if (authType == null) {
      authType =
          scheme == null
              ? null
              : switch (scheme.toLowerCase(Locale.ROOT)) {
                case "kubernetes" -> "Kubeconfig";
                case "token" -> "ServiceAccount";
                default -> null;
              };
    }
    ConnectionKind kind = ConnectionKind.fromWire("kubernetes", authType);
    Map<String, Object> values = new LinkedHashMap<>();
    Map<String, SecretValue> secrets = new LinkedHashMap<>();
    List<String> needs = new ArrayList<>();
    Boolean accept =
        bool(first(text(data, "acceptUntrustedCerts"), text(params, "acceptUntrustedCerts")));
    if (accept != null) {
      values.put("acceptUntrustedCerts", accept);
    }
    switch (kind) {
      case KUBERNETES_KUBECONFIG -> {
        String ctx = first(text(params, "clusterContext"), text(data, "clusterContext"));
        if (ctx != null) {
          values.put(KubeconfigConnection.CLUSTER_CONTEXT, ctx);
        }
        String kc = secret(text(params, "kubeconfig"));
        if (kc != null) {
          secrets.put(KubeconfigConnection.KUBECONFIG, SecretValue.of(kc));
        } else {
          needs.add("kubeconfig: Azure DevOps does not export it; set it with PUT (--kubeconfig)");
        }
      }
      case KUBERNETES_SERVICE_ACCOUNT -> {
        String url = text(e, "url");
        if (url != null) {
          values.put(ServiceAccountConnection.SERVER_URL, url);
        } else {
          needs.add("serverUrl: the endpoint has no url");
        }
        String ca = secret(text(params, "serviceAccountCertificate"));
        if (ca != null) {
          values.put(ServiceAccountConnection.CERTIFICATE, ca);
        }
        String token = secret(text(params, "apiToken"));
        if (token != null) {
          secrets.put(ServiceAccountConnection.API_TOKEN, SecretValue.of(token));
        } else {
          needs.add(
              "apiToken (or secret): Azure DevOps does not export it; set it with PUT"
                  + " (--secret-file, or --token-file and --ca-file)");
        }
      }
      case KUBERNETES_AZURE_SUBSCRIPTION -> {
        String sub = text(data, "azureSubscriptionId");
        if (sub != null) {
          values.put(AzureSubscriptionConnection.AZURE_SUBSCRIPTION_ID, sub);
        }
        String cluster = text(data, "clusterId");
        if (cluster != null) {
          values.put(AzureSubscriptionConnection.CLUSTER_ID, cluster);
        }
        String ns = text(data, "namespace");
        if (ns != null && !ns.isBlank()) {
          values.put(AzureSubscriptionConnection.NAMESPACES, List.of(ns.strip()));
        } else {
          needs.add("namespaces: name the target namespaces");
        }
        Boolean admin = bool(text(data, "clusterAdmin"));
        if (admin != null) {
          values.put(AzureSubscriptionConnection.CLUSTER_ADMIN, admin);
        }
        needs.add(
            "provisioning: update it with azureConnection (an azurerm connection reaching the"
                + " subscription, with resourceGroup and cluster or this clusterId) or"
                + " adminKubeconfig");
      }
    }
    needs.add("verification: run 'sightline connection verify " + name + "'");
    String description = text(e, "description");
    if (description != null && description.length() > 1000) {
      description = description.substring(0, 1000);
    }
    ConnectionSpec spec = new ConnectionSpec(name, kind, description, values, secrets);
    if (!secrets.isEmpty() || kind == ConnectionKind.KUBERNETES_AZURE_SUBSCRIPTION) {
      spec.type().validate(spec); // a given credential must parse; refuse garbage here
    }
    String server = ConnectionRoutes.serverUrlOf(spec);
    return new Mapped(spec, needs, server != null ? server : text(e, "url"));
  }

  /**
   * An Azure Resource Manager endpoint ({@code type: azurerm}): {@code authorization.scheme}
   * becomes the scheme, {@code authorization.parameters} give {@code tenantid}, {@code
   * serviceprincipalid} and {@code authenticationType}, {@code data} gives the subscription and
   * environment. Secrets are never exported by Azure DevOps: they are listed as still needed.
   */
  private static Mapped mapAzureRm(JsonNode e, String name) {
    JsonNode data = e.path("data");
    JsonNode params = e.path("authorization").path("parameters");
    String scheme = text(e.path("authorization"), "scheme");
    ConnectionKind kind = ConnectionKind.fromWire(ConnectionKind.AZURERM, scheme);
    String scope = text(data, "scopeLevel");
    if (scope != null && !scope.equalsIgnoreCase("Subscription")) {
      throw SightlineException.badRequest(
          "UNSUPPORTED_SCOPE",
          "scopeLevel",
          "scope level "
              + scope
              + " is not imported: an azurerm connection reaches one subscription");
    }
    Map<String, Object> values = new LinkedHashMap<>();
    Map<String, SecretValue> secrets = new LinkedHashMap<>();
    List<String> needs = new ArrayList<>();
    put(values, AzureRmConnection.TENANT_ID, text(params, "tenantid"));
    put(values, AzureRmConnection.CLIENT_ID, text(params, "serviceprincipalid"));
    put(values, AzureRmConnection.SUBSCRIPTION_ID, text(data, "subscriptionId"));
    put(values, AzureRmConnection.SUBSCRIPTION_NAME, text(data, "subscriptionName"));
    String env = text(data, "environment");
    if (env != null && env.equalsIgnoreCase("AzureStack")) {
      values.put(AzureRmConnection.ENVIRONMENT, AzureRmConnection.CUSTOM);
      put(values, AzureRmConnection.RESOURCE_MANAGER_URL, text(e, "url"));
      put(values, AzureRmConnection.AUTHORITY, text(data, "activeDirectoryAuthority"));
    } else {
      put(values, AzureRmConnection.ENVIRONMENT, env);
    }
    if (values.get(AzureRmConnection.SUBSCRIPTION_ID) == null) {
      needs.add("subscriptionId: the endpoint names no subscription");
    }
    switch (kind) {
      case AZURERM_SERVICE_PRINCIPAL -> {
        String auth = text(params, "authenticationType");
        boolean cert = auth != null && auth.equalsIgnoreCase(AzureRmConnection.SPN_CERTIFICATE);
        values.put(
            AzureRmConnection.AUTHENTICATION_TYPE,
            cert ? AzureRmConnection.SPN_CERTIFICATE : AzureRmConnection.SPN_KEY);
        String key = secret(text(params, "serviceprincipalkey"));
        if (key != null && !cert) {
          secrets.put(AzureRmConnection.CLIENT_SECRET, SecretValue.of(key));
        } else {
          needs.add(
              (cert ? "servicePrincipalCertificate" : "servicePrincipalKey")
                  + ": Azure DevOps does not export it; set it with PUT ("
                  + (cert ? "--certificate-file" : "--secret-file")
                  + ")");
        }
      }
      case AZURERM_WORKLOAD_IDENTITY_FEDERATION ->
          needs.add(
              "federated credential: add one to app "
                  + values.getOrDefault(AzureRmConnection.CLIENT_ID, "?")
                  + " with the issuer and subject 'sightline connection show "
                  + name
                  + "' prints (Azure DevOps' own issuer and subject do not carry over)");
      case AZURERM_MANAGED_SERVICE_IDENTITY ->
          needs.add("managed identity: the Sightline server must run with this identity assigned");
      default -> {}
    }
    needs.add("verification: run 'sightline connection verify " + name + "'");
    String description = text(e, "description");
    if (description != null && description.length() > 1000) {
      description = description.substring(0, 1000);
    }
    ConnectionSpec spec = new ConnectionSpec(name, kind, description, values, secrets);
    AzureRmConnection.cloud(spec);
    return new Mapped(spec, needs, AzureRmConnection.cloud(spec).armEndpointString());
  }

  private static void put(Map<String, Object> values, String key, String value) {
    if (value != null && !value.isBlank()) {
      values.put(key, value.strip());
    }
  }

  /** A connection name from an Azure DevOps display name: lowercase, [a-z0-9-], at most 63. */
  static String sanitize(String source) {
    if (source == null) {
      return null;
    }
    String n =
        source.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("^-+|-+$", "");
    if (n.length() > 63) {
      n = n.substring(0, 63).replaceAll("-+$", "");
    }
    return n.isEmpty() ? null : n;
  }

  /** Null for what Azure DevOps exports in place of a secret: null, empty, or a mask. */
  private static String secret(String v) {
    if (v == null || v.isBlank() || v.matches("\\*+")) {
      return null;
    }
    return v;
  }

  private static Boolean bool(String v) {
    if (v == null) {
      return null;
    }
    if (v.equalsIgnoreCase("true")) {
      return true;
    }
    if (v.equalsIgnoreCase("false")) {
      return false;
    }
    return null;
  }

  private static String first(String a, String b) {
    return a != null ? a : b;
  }

  private static String text(JsonNode n, String key) {
    JsonNode v = n == null ? null : n.get(key);
    if (v == null || v.isNull() || v.isContainerNode()) {
      return null;
    }
    return v.asText();
  }
}
