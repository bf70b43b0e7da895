package io.sightline.testing.azure.internal;

import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpExchange;
import io.sightline.testing.azure.AksCluster;
import io.sightline.testing.azure.ArmAction;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Azure Resource Manager's managedClusters routes, with bearer authentication and RBAC. */
public final class ArmEndpoints {
  private static final String PROVIDER = "/providers/Microsoft.ContainerService/managedClusters";
  private static final Pattern BY_SUB =
      Pattern.compile("(?i)^/subscriptions/([^/]+)" + PROVIDER + "/?$");
  private static final Pattern BY_RG =
      Pattern.compile("(?i)^/subscriptions/([^/]+)/resourceGroups/([^/]+)" + PROVIDER + "/?$");
  private static final Pattern ONE =
      Pattern.compile(
          "(?i)^/subscriptions/([^/]+)/resourceGroups/([^/]+)"
              + PROVIDER
              + "/([^/]+)(/listClusterUserCredential|/listClusterAdminCredential)?/?$");

  private final Config config;
  private final TokenMinter minter;
  private final List<String> requests = new java.util.concurrent.CopyOnWriteArrayList<>();
  private volatile java.util.concurrent.CountDownLatch stall =
      new java.util.concurrent.CountDownLatch(0);
  private volatile java.time.Duration delay = java.time.Duration.ZERO;

  /** Requests seen so far, as {@code "METHOD /path"} (no query, no headers). */
  public List<String> requests() {
    return List.copyOf(requests);
  }

  public void stall(boolean on) {
    if (on) {
      if (stall.getCount() == 0) {
        stall = new java.util.concurrent.CountDownLatch(1);
      }
    } else {
      stall.countDown();
    }
  }

  public void delay(java.time.Duration d) {
    this.delay = d;
  }

  public void close() {
    stall.countDown();
  }

  public ArmEndpoints(Config config, TokenMinter minter) {
    this.config = config;
    this.minter = minter;
  }

  private static final class ArmError extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final int status;
    final String code;
    final boolean wrapped;

    ArmError(int status, String code, String message, boolean wrapped) {
      super(message, null, false, false);
      this.status = status;
      this.code = code;
      this.wrapped = wrapped;
    }
  }

  /** Answers {@code ex} if it is an ARM route; returns false otherwise. */
  public boolean handle(HttpExchange ex) throws IOException {
    String path = ex.getRequestURI().getPath();
    if (!path.toLowerCase(Locale.ROOT).startsWith("/subscriptions/")) {
      return false;
    }
    Http.body(ex);
    requests.add(ex.getRequestMethod() + " " + path);
    try {
      if (stall.getCount() > 0) {
        stall.await();
      }
      if (!delay.isZero()) {
        Thread.sleep(delay.toMillis());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return true;
    }
    try {
      route(ex, path);
    } catch (ArmError e) {
      Map<String, Object> inner = new LinkedHashMap<>();
      inner.put("code", e.code);
      inner.put("message", e.getMessage());
      if (e.status == 401) {
        ex.getResponseHeaders()
            .set(
                "WWW-Authenticate",
                "Bearer authorization_uri=\"https://login.windows.net/\","
                    + " error=\"invalid_token\", error_description=\""
                    + e.getMessage().replace('"', '\'')
                    + "\"");
      }
      ex.getResponseHeaders().set("x-ms-failure-cause", e.status == 400 ? "service" : "gateway");
      Http.json(ex, e.status, e.wrapped ? Map.of("error", inner) : aksError(inner));
    }
    return true;
  }

  private static Map<String, Object> aksError(Map<String, Object> inner) {
    Map<String, Object> m = new LinkedHashMap<>(inner);
    m.put("subcode", "");
    m.put("details", List.of());
    return m;
  }

  private void route(HttpExchange ex, String path) throws IOException {
    Map<String, String> q = Http.query(ex);
    String method = ex.getRequestMethod();
    JWTClaimsSet caller = authenticate(ex);
    if (!q.containsKey("api-version")) {
      throw new ArmError(
          400,
          "MissingApiVersionParameter",
          "The api-version query parameter (?api-version=) is required for all requests.",
          true);
    }
    Matcher m;
    if ("GET".equals(method) && (m = BY_SUB.matcher(path)).matches()) {
      String sub = m.group(1).toLowerCase(Locale.ROOT);
      String scope = "/subscriptions/" + sub;
      subscriptionOrFail(sub);
      list(ex, caller, scope, c -> c.subscriptionId().equals(sub));
      return;
    }
    if ("GET".equals(method) && (m = BY_RG.matcher(path)).matches()) {
      String sub = m.group(1).toLowerCase(Locale.ROOT);
      String rg = m.group(2);
      String scope = "/subscriptions/" + sub + "/resourceGroups/" + rg;
      subscriptionOrFail(sub);
      if (!mayAnywhereUnder(caller, scope, ArmAction.READ_CLUSTERS)) {
        throw forbidden(caller, ArmAction.READ_CLUSTERS, scope);
      }
      resourceGroupOrFail(sub, rg);
      list(
          ex,
          caller,
          scope,
          c -> c.subscriptionId().equals(sub) && c.resourceGroup().equalsIgnoreCase(rg));
      return;
    }
    if ((m = ONE.matcher(path)).matches()) {
      String sub = m.group(1).toLowerCase(Locale.ROOT);
      String rg = m.group(2);
      String name = m.group(3);
      String op = m.group(4) == null ? "" : m.group(4).toLowerCase(Locale.ROOT);
      ArmAction action =
          op.isEmpty()
              ? ArmAction.READ_CLUSTERS
              : op.contains("admin")
                  ? ArmAction.LIST_ADMIN_CREDENTIAL
                  : ArmAction.LIST_USER_CREDENTIAL;
      String expected = op.isEmpty() ? "GET" : "POST";
      if (!expected.equals(method)) {
        throw new ArmError(
            405,
            "MethodNotAllowed",
            "The requested resource does not support http method '" + method + "'.",
            true);
      }
      String scope = "/subscriptions/" + sub + "/resourceGroups/" + rg + PROVIDER + "/" + name;
      subscriptionOrFail(sub);
      if (!may(caller, scope, action)) {
        throw forbidden(caller, action, scope);
      }
      resourceGroupOrFail(sub, rg);
      AksCluster c =
          config.clusters.stream()
              .filter(
                  k ->
                      k.subscriptionId().equals(sub)
                          && k.resourceGroup().equalsIgnoreCase(rg)
                          && k.name().equalsIgnoreCase(name))
              .findFirst()
              .orElseThrow(
                  () ->
                      new ArmError(
                          404,
                          "ResourceNotFound",
                          "The Resource 'Microsoft.ContainerService/managedClusters/"
                              + name
                              + "' under resource group '"
                              + rg
                              + "' was not found. For more details please go to"
                              + " https://aka.ms/ARMResourceNotFoundFix",
                          true));
      switch (action) {
        case READ_CLUSTERS:
          Http.json(ex, 200, clusterJson(c));
          return;
        case LIST_ADMIN_CREDENTIAL:
          if (c.localAccountsDisabled()) {
            throw new ArmError(
                400,
                "BadRequest",
                "Getting static credential is not allowed because this cluster is set to disable"
                    + " local accounts.",
                false);
          }
          Http.json(ex, 200, kubeconfigs("clusterAdmin", Kubeconfigs.admin(c)));
          return;
        default:
          String format = q.getOrDefault("format", "exec").toLowerCase(Locale.ROOT);
          String yaml =
              Kubeconfigs.user(
                  c,
                  String.valueOf(caller.getClaim("tid")),
                  "azure".equals(format)
                      ? Kubeconfigs.UserFormat.AZURE
                      : Kubeconfigs.UserFormat.EXEC);
          Http.json(ex, 200, kubeconfigs("clusterUser", yaml));
          return;
      }
    }
    throw new ArmError(
        404,
        "InvalidResourceType",
        "The resource type could not be found in the namespace 'Microsoft.ContainerService' for"
            + " api version '"
            + q.get("api-version")
            + "'.",
        true);
  }

  private void list(
      HttpExchange ex,
      JWTClaimsSet caller,
      String scope,
      java.util.function.Predicate<AksCluster> filter)
      throws IOException {
    if (!mayAnywhereUnder(caller, scope, ArmAction.READ_CLUSTERS)) {
      throw forbidden(caller, ArmAction.READ_CLUSTERS, scope);
    }
    List<Object> value = new ArrayList<>();
    for (AksCluster c : config.clusters) {
      if (filter.test(c) && may(caller, armId(c), ArmAction.READ_CLUSTERS)) {
        value.add(clusterJson(c));
      }
    }
    Http.json(ex, 200, Map.of("value", value));
  }

  private static Map<String, Object> kubeconfigs(String name, String yaml) {
    Map<String, Object> k = new LinkedHashMap<>();
    k.put("name", name);
    k.put("value", Base64.getEncoder().encodeToString(yaml.getBytes(StandardCharsets.UTF_8)));
    return Map.of("kubeconfigs", List.of(k));
  }

  private static String armId(AksCluster c) {
    return "/subscriptions/"
        + c.subscriptionId()
        + "/resourceGroups/"
        + c.resourceGroup()
        + PROVIDER
        + "/"
        + c.name();
  }

  private Map<String, Object> clusterJson(AksCluster c) {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("provisioningState", "Succeeded");
    p.put("powerState", Map.of("code", "Running"));
    p.put("kubernetesVersion", c.kubernetesVersion());
    p.put("currentKubernetesVersion", c.kubernetesVersion());
    p.put("dnsPrefix", c.name() + "-dns");
    if (c.privateCluster()) {
      p.put("privateFQDN", c.fqdn());
    } else {
      p.put("fqdn", c.fqdn());
    }
    p.put("azurePortalFQDN", c.fqdn());
    p.put("enableRBAC", c.enableRbac());
    p.put("supportPlan", "KubernetesOfficial");
    p.put("nodeResourceGroup", "MC_" + c.resourceGroup() + "_" + c.name() + "_" + c.location());
    if (c.aad()) {
      Map<String, Object> aad = new LinkedHashMap<>();
      aad.put("managed", true);
      aad.put("adminGroupObjectIDs", c.adminGroupObjectIds());
      aad.put("adminUsers", null);
      aad.put("enableAzureRBAC", c.azureRbac());
      aad.put("tenantID", config.tenants.stream().findFirst().orElse(null));
      p.put("aadProfile", aad);
    }
    p.put("disableLocalAccounts", c.localAccountsDisabled());
    Map<String, Object> access = new LinkedHashMap<>();
    access.put("enablePrivateCluster", c.privateCluster());
    if (c.privateCluster()) {
      access.put("privateDNSZone", "system");
      access.put("enablePrivateClusterPublicFQDN", false);
    }
    p.put("apiServerAccessProfile", access);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", armId(c));
    m.put("location", c.location());
    m.put("name", c.name());
    m.put("type", "Microsoft.ContainerService/ManagedClusters");
    m.put("sku", Map.of("name", "Base", "tier", "Free"));
    m.put("identity", Map.of("type", "SystemAssigned"));
    m.put("properties", p);
    return m;
  }

  // ---- authentication and authorization ----------------------------------------------------

  private JWTClaimsSet authenticate(HttpExchange ex) {
    String h = ex.getRequestHeaders().getFirst("Authorization");
    if (h == null || h.isBlank()) {
      throw new ArmError(
          401,
          "AuthenticationFailed",
          "Authentication failed. The 'Authorization' header is missing.",
          true);
    }
    if (!h.regionMatches(true, 0, "Bearer ", 0, 7)) {
      throw new ArmError(
          401,
          "AuthenticationFailedInvalidHeader",
          "Authentication failed. The 'Authorization' header is provided in an invalid format.",
          true);
    }
    JWTClaimsSet claims;
    try {
      SignedJWT jwt = SignedJWT.parse(h.substring(7).trim());
      if (!jwt.verify(new RSASSAVerifier(minter.publicKey()))) {
        throw new IllegalArgumentException("signature");
      }
      claims = jwt.getJWTClaimsSet();
    } catch (Exception e) {
      throw new ArmError(401, "InvalidAuthenticationToken", "The access token is invalid.", true);
    }
    String aud = claims.getAudience().isEmpty() ? "" : claims.getAudience().get(0);
    String want = config.armAudience;
    String wantTrimmed = want.endsWith("/") ? want.substring(0, want.length() - 1) : want;
    if (!aud.equals(want) && !aud.equals(wantTrimmed)) {
      throw new ArmError(
          401,
          "InvalidAuthenticationTokenAudience",
          "The access token has been obtained for wrong audience or resource '"
              + aud
              + "'. It should exactly match with one of the allowed audiences '"
              + want
              + "','"
              + wantTrimmed
              + "'.",
          true);
    }
    Instant now = Instant.now();
    if (claims.getExpirationTime() == null
        || claims.getExpirationTime().toInstant().isBefore(now)) {
      throw new ArmError(
          401,
          "ExpiredAuthenticationToken",
          "The access token expiry UTC time '"
              + (claims.getExpirationTime() == null ? "-" : claims.getExpirationTime().toInstant())
              + "' is earlier than current UTC time '"
              + now
              + "'.",
          true);
    }
    return claims;
  }

  private void subscriptionOrFail(String sub) {
    boolean known =
        config.clusters.stream().anyMatch(c -> c.subscriptionId().equals(sub))
            || config.resourceGroups.stream().anyMatch(r -> r.startsWith(sub + "/"));
    if (!known) {
      throw new ArmError(
          404, "SubscriptionNotFound", "The subscription '" + sub + "' could not be found.", true);
    }
  }

  private void resourceGroupOrFail(String sub, String rg) {
    String key = sub + "/" + rg.toLowerCase(Locale.ROOT);
    boolean known =
        config.resourceGroups.contains(key)
            || config.clusters.stream()
                .anyMatch(
                    c -> c.subscriptionId().equals(sub) && c.resourceGroup().equalsIgnoreCase(rg));
    if (!known) {
      throw new ArmError(
          404, "ResourceGroupNotFound", "Resource group '" + rg + "' could not be found.", true);
    }
  }

  private static String principal(JWTClaimsSet c) {
    return String.valueOf(c.getClaim("oid"));
  }

  /** The caller has {@code action} at {@code scope} or any scope above it. */
  private boolean may(JWTClaimsSet caller, String scope, ArmAction action) {
    String oid = principal(caller);
    String s = scope.toLowerCase(Locale.ROOT);
    return config.grants.stream()
        .anyMatch(
            g ->
                g.principalObjectId().equals(oid)
                    && g.actions().contains(action)
                    && isAtOrBelow(s, g.scope().toLowerCase(Locale.ROOT)));
  }

  /** The caller has {@code action} at, above, or anywhere below {@code scope} (for lists). */
  private boolean mayAnywhereUnder(JWTClaimsSet caller, String scope, ArmAction action) {
    String oid = principal(caller);
    String s = scope.toLowerCase(Locale.ROOT);
    return config.grants.stream()
        .anyMatch(
            g -> {
              String gs = g.scope().toLowerCase(Locale.ROOT);
              return g.principalObjectId().equals(oid)
                  && g.actions().contains(action)
                  && (isAtOrBelow(s, gs) || isAtOrBelow(gs, s));
            });
  }

  private static boolean isAtOrBelow(String scope, String ancestor) {
    String a = ancestor.endsWith("/") ? ancestor.substring(0, ancestor.length() - 1) : ancestor;
    return scope.equals(a) || scope.startsWith(a + "/");
  }

  private static ArmError forbidden(JWTClaimsSet caller, ArmAction action, String scope) {
    Object upn = caller.getClaim("upn");
    Object appid = Optional.ofNullable(caller.getClaim("appid")).orElse(caller.getClaim("azp"));
    String client = upn != null ? String.valueOf(upn) : String.valueOf(appid);
    return new ArmError(
        403,
        "AuthorizationFailed",
        "The client '"
            + client
            + "' with object id '"
            + principal(caller)
            + "' does not have authorization to perform action '"
            + action.operation()
            + "' over scope '"
            + scope
            + "' or the scope is invalid. If access was recently granted, please refresh your"
            + " credentials.",
        true);
  }
}
