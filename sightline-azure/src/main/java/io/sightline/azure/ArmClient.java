package io.sightline.azure;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sightline.api.probe.DiagnosisCode;
import io.sightline.azure.internal.AzureHttp;
import io.sightline.azure.internal.EgressOkHttp;
import io.sightline.azure.internal.Kubeconfigs;
import io.sightline.core.SecretValue;
import io.sightline.core.SightlineException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A thin typed client for the ARM calls Sightline makes about AKS (managedClusters list and get,
 * {@code listClusterUserCredential}, {@code listClusterAdminCredential}; api-version 2024-05-01),
 * over the JDK HttpClient. Every call, token included, finishes within the client's deadline. ARM's
 * errors become {@code ARM_FORBIDDEN}, {@code ARM_NOT_FOUND} or {@code LOCAL_ACCOUNTS_DISABLED}
 * with ARM's own message and what to do.
 */
public final class ArmClient {
  private static final Logger log = LoggerFactory.getLogger(ArmClient.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  public static final String API_VERSION = "2024-05-01";
  private static final String PROVIDER = "/providers/Microsoft.ContainerService/managedClusters";
  private static final Duration TOKEN_MARGIN = Duration.ofMinutes(5);

  private final AzureEnvironment env;
  private final AzureTokenSource tokens;
  private final Duration deadline;
  private final Duration endpointTtl;
  private final Clock clock;
  private final HttpClient http;
  private final Map<String, Cached> endpoints = new ConcurrentHashMap<>();
  private volatile AccessToken armToken;

  private record Cached(ClusterEndpoint endpoint, Instant until) {}

  /**
   * @param tokens the identity ARM sees (its ARM token is reused until 5 minutes before expiry)
   * @param deadline the hard limit of every call, token included
   * @param endpointTtl how long a cluster's server URL and CA from {@code
   *     listClusterUserCredential} are reused (zero: never)
   */
  public ArmClient(
      AzureEnvironment env,
      AzureTokenSource tokens,
      Duration deadline,
      Duration endpointTtl,
      Clock clock) {
    this.env = Objects.requireNonNull(env, "env");
    this.tokens = Objects.requireNonNull(tokens, "tokens");
    this.deadline = Objects.requireNonNull(deadline, "deadline");
    this.endpointTtl = Objects.requireNonNull(endpointTtl, "endpointTtl");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.http = AzureHttp.jdk(env);
  }

  public ArmClient(AzureEnvironment env, AzureTokenSource tokens, Duration deadline) {
    this(env, tokens, deadline, Duration.ofMinutes(5), Clock.systemUTC());
  }

  /** The clusters of a subscription. */
  public List<ManagedCluster> listClusters(String subscriptionId) {
    return clusters(call("GET", "/subscriptions/" + seg(subscriptionId) + PROVIDER, "list"));
  }

  /** The clusters of one resource group. */
  public List<ManagedCluster> listClusters(String subscriptionId, String resourceGroup) {
    return clusters(call("GET", rg(subscriptionId, resourceGroup) + PROVIDER, "list"));
  }

  public ManagedCluster getCluster(String subscriptionId, String resourceGroup, String name) {
    return cluster(call("GET", path(subscriptionId, resourceGroup, name), "read"));
  }

  /** The user kubeconfig ARM hands out (for an Entra cluster, a kubelogin exec user). */
  public SecretValue listClusterUserCredential(
      String subscriptionId, String resourceGroup, String name) {
    return kubeconfig(
        call(
            "POST",
            path(subscriptionId, resourceGroup, name) + "/listClusterUserCredential",
            "listClusterUserCredential"));
  }

  /**
   * The cluster-admin kubeconfig (a static client certificate).
   *
   * @throws SightlineException {@code LOCAL_ACCOUNTS_DISABLED} when the cluster refuses static
   *     credentials
   */
  public SecretValue listClusterAdminCredential(
      String subscriptionId, String resourceGroup, String name) {
    return kubeconfig(
        call(
            "POST",
            path(subscriptionId, resourceGroup, name) + "/listClusterAdminCredential",
            "listClusterAdminCredential"));
  }

  /**
   * The cluster's server URL and CA from {@code listClusterUserCredential}, reused for the
   * configured TTL.
   */
  public ClusterEndpoint clusterEndpoint(String subscriptionId, String resourceGroup, String name) {
    String key =
        (subscriptionId + "/" + resourceGroup + "/" + name).toLowerCase(java.util.Locale.ROOT);
    Instant now = clock.instant();
    Cached c = endpoints.get(key);
    if (c != null && now.isBefore(c.until())) {
      return c.endpoint();
    }
    ClusterEndpoint e =
        Kubeconfigs.endpoint(listClusterUserCredential(subscriptionId, resourceGroup, name));
    if (!endpointTtl.isZero()) {
      endpoints.put(key, new Cached(e, now.plus(endpointTtl)));
    }
    return e;
  }

  // ---- machinery ----------------------------------------------------------------------

  private static String seg(String s) {
    if (s == null || s.isBlank() || s.contains("/")) {
      throw SightlineException.badRequest(
          "INVALID_FIELD", null, "'" + s + "' is not a valid ARM name");
    }
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static String rg(String subscriptionId, String resourceGroup) {
    return "/subscriptions/" + seg(subscriptionId) + "/resourceGroups/" + seg(resourceGroup);
  }

  private static String path(String subscriptionId, String resourceGroup, String name) {
    return rg(subscriptionId, resourceGroup) + PROVIDER + "/" + seg(name);
  }

  private String bearer(Instant end) {
    AccessToken t = armToken;
    if (t == null || clock.instant().plus(TOKEN_MARGIN).isAfter(t.expiresAt())) {
      t = tokens.token(env.cloud().armScope(), remaining(end));
      armToken = t;
    }
    return t.token().reveal();
  }

  private Duration remaining(Instant end) {
    Duration d = Duration.between(Instant.now(), end);
    return d.isNegative() ? Duration.ZERO : d;
  }

  private JsonNode call(String method, String path, String action) {
    Instant end = Instant.now().plus(deadline);
    URI uri = URI.create(env.cloud().armEndpointString() + path + "?api-version=" + API_VERSION);
    if (!env.allows(uri)) {
      throw new SightlineException(
          DiagnosisCode.EGRESS_DENIED.name(),
          502,
          null,
          "egress to " + uri.getScheme() + "://" + uri.getAuthority() + " is not allowed",
          null,
          null);
    }
    String token = bearer(end);
    Response r =
        env.isCustom()
            ? sendChecked(method, uri, token, end, path)
            : send(method, uri, token, end, path);
    JsonNode body;
    try {
      body =
          r.body() == null || r.body().isBlank()
              ? JSON.createObjectNode()
              : JSON.readTree(r.body());
    } catch (IOException e) {
      throw new SightlineException(
          DiagnosisCode.UNEXPECTED_RESPONSE.name(),
          502,
          null,
          "ARM answered " + r.statusCode() + " with a body that is not JSON",
          null,
          e);
    }
    if (r.statusCode() / 100 == 2) {
      return body;
    }
    if (r.statusCode() == 401) {
      armToken = null;
    }
    throw error(r.statusCode(), body, action, path);
  }

  /** An ARM answer: status and body text. */
  private record Response(int statusCode, String body) {}

  /** The public clouds: the JDK client. */
  private Response send(String method, URI uri, String token, Instant end, String path) {
    Duration left = remaining(end);
    HttpRequest req =
        HttpRequest.newBuilder(uri)
            .timeout(left.isZero() ? Duration.ofMillis(1) : left)
            .header("Authorization", "Bearer " + token)
            .header("Accept", "application/json")
            .method(method, HttpRequest.BodyPublishers.noBody())
            .build();
    CompletableFuture<HttpResponse<String>> f =
        http.sendAsync(req, HttpResponse.BodyHandlers.ofString());
    HttpResponse<String> r;
    try {
      r = f.get(Math.max(1, remaining(end).toMillis()), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      f.cancel(true);
      throw deadlineExceeded(method, path);
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof java.net.http.HttpTimeoutException) {
        throw deadlineExceeded(method, path);
      }
      if (c instanceof ConnectException) {
        throw new SightlineException(
            DiagnosisCode.CONNECTION_REFUSED.name(),
            502,
            null,
            "ARM at " + env.cloud().armEndpointString() + " refused the connection",
            null,
            c);
      }
      throw new SightlineException(
          DiagnosisCode.UNEXPECTED_RESPONSE.name(),
          502,
          null,
          "ARM at " + env.cloud().armEndpointString() + " failed: " + c,
          null,
          c);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      f.cancel(true);
      throw deadlineExceeded(method, path);
    }
    return new Response(r.statusCode(), r.body());
  }

  /**
   * A custom cloud (user-supplied endpoints): the checked OkHttp transport, whose sockets obey the
   * egress rules at connect time; the call's timeout is what is left of the deadline.
   */
  private Response sendChecked(String method, URI uri, String token, Instant end, String path) {
    try {
      EgressOkHttp.Answer a =
          env.checkedTransport()
              .execute(
                  method,
                  uri,
                  Map.of(
                      "Authorization",
                      List.of("Bearer " + token),
                      "Accept",
                      List.of("application/json")),
                  "POST".equals(method) ? new byte[0] : null,
                  remaining(end));
      return new Response(a.status(), a.bodyText());
    } catch (io.sightline.kubernetes.EgressDeniedException e) {
      throw new SightlineException(
          DiagnosisCode.EGRESS_DENIED.name(),
          502,
          "environment",
          "ARM at "
              + env.cloud().armEndpointString()
              + ": "
              + e.getMessage()
              + " — the server's egress rules (sightline.egress.allow / deny) do not allow it",
          null,
          null);
    } catch (java.io.InterruptedIOException e) {
      throw deadlineExceeded(method, path);
    } catch (ConnectException e) {
      throw new SightlineException(
          DiagnosisCode.CONNECTION_REFUSED.name(),
          502,
          null,
          "ARM at " + env.cloud().armEndpointString() + " refused the connection",
          null,
          e);
    } catch (IOException e) {
      throw new SightlineException(
          DiagnosisCode.UNEXPECTED_RESPONSE.name(),
          502,
          null,
          "ARM at " + env.cloud().armEndpointString() + " failed: " + e,
          null,
          e);
    }
  }

  private SightlineException deadlineExceeded(String method, String path) {
    return new SightlineException(
        DiagnosisCode.PROBE_DEADLINE_EXCEEDED.name(),
        504,
        null,
        "ARM at "
            + env.cloud().armEndpointString()
            + " did not answer "
            + method
            + " "
            + path
            + " within "
            + deadline.toMillis()
            + " ms",
        null,
        null);
  }

  private static SightlineException error(int status, JsonNode body, String action, String path) {
    JsonNode err = body.has("error") ? body.get("error") : body;
    String code = err.path("code").asText("");
    String message = err.path("message").asText("").replace('\n', ' ').trim();
    String arm = "ARM " + status + (code.isEmpty() ? "" : " " + code) + ": " + message;
    log.debug("ARM {} on {}: {}", status, path, arm);
    if (status == 400 && message.toLowerCase(java.util.Locale.ROOT).contains("local accounts")) {
      return new SightlineException(
          DiagnosisCode.LOCAL_ACCOUNTS_DISABLED.name(),
          409,
          null,
          arm
              + " — the cluster has local accounts disabled, so ARM hands out no static"
              + " credential: use the cluster through an azurerm connection instead",
          null,
          null);
    }
    if (status == 401 || status == 403) {
      String op =
          action.startsWith("list") && !action.equals("list")
              ? "Microsoft.ContainerService/managedClusters/" + action + "/action"
              : "Microsoft.ContainerService/managedClusters/read";
      return new SightlineException(
          DiagnosisCode.ARM_FORBIDDEN.name(),
          403,
          null,
          arm
              + " — grant the identity a role with '"
              + op
              + "' on the cluster, its resource group or the subscription",
          null,
          null);
    }
    if (status == 404) {
      return new SightlineException(
          DiagnosisCode.ARM_NOT_FOUND.name(),
          404,
          null,
          arm + " — check the subscription, resource group and cluster name",
          null,
          null);
    }
    return new SightlineException(
        DiagnosisCode.UNEXPECTED_RESPONSE.name(), 502, null, arm, null, null);
  }

  private static List<ManagedCluster> clusters(JsonNode body) {
    List<ManagedCluster> out = new ArrayList<>();
    body.path("value").forEach(c -> out.add(cluster(c)));
    return out;
  }

  private static String text(JsonNode n) {
    return n.isMissingNode() || n.isNull() ? null : n.asText();
  }

  private static ManagedCluster cluster(JsonNode c) {
    JsonNode p = c.path("properties");
    String id = text(c.path("id"));
    String rg = null;
    if (id != null) {
      String[] parts = id.split("/");
      for (int i = 0; i + 1 < parts.length; i++) {
        if (parts[i].equalsIgnoreCase("resourceGroups")) {
          rg = parts[i + 1];
        }
      }
    }
    return new ManagedCluster(
        id,
        text(c.path("name")),
        rg,
        text(c.path("location")),
        text(p.path("kubernetesVersion")),
        text(p.path("fqdn")),
        text(p.path("privateFQDN")),
        p.path("apiServerAccessProfile").path("enablePrivateCluster").asBoolean(false),
        p.path("aadProfile").path("managed").asBoolean(false),
        p.path("aadProfile").path("enableAzureRBAC").asBoolean(false),
        p.path("disableLocalAccounts").asBoolean(false),
        p.path("enableRBAC").asBoolean(false));
  }

  private static SecretValue kubeconfig(JsonNode body) {
    JsonNode v = body.path("kubeconfigs").path(0).path("value");
    if (v.isMissingNode()) {
      throw new SightlineException(
          DiagnosisCode.UNEXPECTED_RESPONSE.name(),
          502,
          null,
          "ARM answered without a kubeconfig",
          null,
          null);
    }
    return SecretValue.ofUtf8(Base64.getDecoder().decode(v.asText()));
  }
}
