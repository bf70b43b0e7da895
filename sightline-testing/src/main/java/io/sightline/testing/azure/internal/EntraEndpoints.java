package io.sightline.testing.azure.internal;

import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpExchange;
import io.sightline.testing.azure.EntraApp;
import io.sightline.testing.azure.EntraUser;
import io.sightline.testing.azure.FederatedCredential;
import io.sightline.testing.azure.ManagedIdentity;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Entra ID's endpoints: token, device code, authorize, discovery, JWKS, managed identity. */
public final class EntraEndpoints {
  private static final Logger log = LoggerFactory.getLogger(EntraEndpoints.class);
  private static final Set<String> OIDC_SCOPES = Set.of("openid", "profile", "offline_access");
  private static final String DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";
  private static final String MSAL_DEVICE_GRANT = "device_code";
  private static final String JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
  private static final DateTimeFormatter TS =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss'Z'").withZone(ZoneOffset.UTC);
  private static final Pattern TOKEN = Pattern.compile("^/([^/]+)/oauth2/(v2\\.0/)?token$");
  private static final Pattern DEVICE = Pattern.compile("^/([^/]+)/oauth2/(v2\\.0/)?devicecode$");
  private static final Pattern AUTHORIZE = Pattern.compile("^/([^/]+)/oauth2/(v2\\.0/)?authorize$");
  private static final Pattern DISCOVERY =
      Pattern.compile("^/([^/]+)(/v2\\.0)?/\\.well-known/openid-configuration$");
  private static final Pattern KEYS = Pattern.compile("^/([^/]+)/discovery/(v2\\.0/)?keys$");
  private static final Pattern USER_REALM = Pattern.compile("^/common/userrealm/([^/]+)$");

  /** A token-endpoint request as the emulator saw it (no secrets). */
  public record Request(
      String path, String grantType, String clientId, String tenant, Instant at) {}

  /** A device code flow waiting for the test to approve, decline or expire it. */
  public static final class DeviceFlow {
    public final String deviceCode;
    public final String userCode;
    public final String clientId;
    public final String tenant;
    public final String scope;
    public final Instant expiresAt;
    public final AtomicReference<String> state = new AtomicReference<>("pending");
    public volatile EntraUser user;

    DeviceFlow(
        String deviceCode,
        String userCode,
        String clientId,
        String tenant,
        String scope,
        Instant expiresAt) {
      this.deviceCode = deviceCode;
      this.userCode = userCode;
      this.clientId = clientId;
      this.tenant = tenant;
      this.scope = scope;
      this.expiresAt = expiresAt;
    }
  }

  private record Grant(
      String tenant, String clientId, EntraUser user, String scope, String redirect, String pkce) {}

  private final Config config;
  private final TokenMinter minter;
  private final String authority;
  private final SecureRandom random = new SecureRandom();
  private final List<Request> requests = new CopyOnWriteArrayList<>();
  private final Map<String, DeviceFlow> deviceFlows = new ConcurrentHashMap<>();
  private final Map<String, Grant> refreshTokens = new ConcurrentHashMap<>();
  private final Map<String, Grant> codes = new ConcurrentHashMap<>();
  private final Map<String, JWKSet> issuerKeys = new ConcurrentHashMap<>();
  private final HttpClient federationClient;
  private volatile CountDownLatch stall = new CountDownLatch(0);
  private volatile Duration delay = Duration.ZERO;

  public EntraEndpoints(Config config, TokenMinter minter, String authority, SSLContext trust) {
    this.config = config;
    this.minter = minter;
    this.authority = authority;
    this.federationClient =
        HttpClient.newBuilder()
            .sslContext(trust)
            .proxy(HttpClient.Builder.NO_PROXY)
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
  }

  // ---- knobs -------------------------------------------------------------------------------

  public void stall(boolean on) {
    if (on) {
      if (stall.getCount() == 0) {
        stall = new CountDownLatch(1);
      }
    } else {
      stall.countDown();
    }
  }

  public void delay(Duration d) {
    this.delay = d;
  }

  public List<Request> requests() {
    return List.copyOf(requests);
  }

  public Map<String, DeviceFlow> deviceFlows() {
    return deviceFlows;
  }

  public void close() {
    stall.countDown();
  }

  // ---- routing -----------------------------------------------------------------------------

  /** Answers {@code ex} if it is an Entra route; returns false otherwise. */
  public boolean handle(HttpExchange ex) throws IOException {
    String path = ex.getRequestURI().getPath();
    String method = ex.getRequestMethod();
    Matcher m;
    try {
      if (path.equals("/msi/token")) {
        Http.body(ex);
        managedIdentity(ex);
        return true;
      }
      if ("POST".equals(method) && (m = TOKEN.matcher(path)).matches()) {
        Map<String, String> form = Http.form(ex);
        requests.add(
            new Request(
                path,
                form.getOrDefault("grant_type", ""),
                form.getOrDefault("client_id", ""),
                m.group(1),
                Instant.now()));
        faults();
        token(ex, m.group(1), form);
        return true;
      }
      if ("POST".equals(method) && (m = DEVICE.matcher(path)).matches()) {
        Map<String, String> form = Http.form(ex);
        requests.add(
            new Request(
                path, "device_code_start", form.get("client_id"), m.group(1), Instant.now()));
        faults();
        deviceCode(ex, m.group(1), form);
        return true;
      }
      if ((m = AUTHORIZE.matcher(path)).matches()) {
        Http.body(ex);
        authorize(ex, m.group(1), Http.query(ex));
        return true;
      }
      if ((m = DISCOVERY.matcher(path)).matches()) {
        Http.body(ex);
        tenantOrFail(m.group(1));
        Http.json(ex, 200, discovery(m.group(1), m.group(2) != null));
        return true;
      }
      if ((m = KEYS.matcher(path)).matches()) {
        Http.body(ex);
        Http.json(ex, 200, minter.publicJwks().toJSONObject(true));
        return true;
      }
      if (path.equals("/common/discovery/instance")) {
        Http.body(ex);
        Http.json(ex, 200, instanceDiscovery(Http.query(ex)));
        return true;
      }
      if ((m = USER_REALM.matcher(path)).matches()) {
        Http.body(ex);
        String upn = m.group(1);
        Map<String, Object> realm = new LinkedHashMap<>();
        realm.put("ver", "1.0");
        realm.put("account_type", "Managed");
        realm.put("domain_name", upn.contains("@") ? upn.substring(upn.indexOf('@') + 1) : upn);
        realm.put("cloud_instance_name", "microsoftonline.com");
        realm.put("cloud_audience_urn", "urn:federation:MicrosoftOnline");
        Http.json(ex, 200, realm);
        return true;
      }
    } catch (EntraException e) {
      error(ex, e);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      ex.close();
      return true;
    }
    return false;
  }

  private void faults() throws InterruptedException {
    CountDownLatch s = stall;
    if (s.getCount() > 0) {
      s.await();
    }
    Duration d = delay;
    if (!d.isZero()) {
      Thread.sleep(d.toMillis());
    }
  }

  private void error(HttpExchange ex, EntraException e) throws IOException {
    String trace = UUID.randomUUID().toString();
    String requested = ex.getRequestHeaders().getFirst("client-request-id");
    String correlation = requested != null ? requested : UUID.randomUUID().toString();
    String ts = TS.format(Instant.now());
    String code = "AADSTS" + e.code();
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("error", e.error());
    body.put(
        "error_description",
        code
            + ": "
            + e.getMessage()
            + "\r\nTrace ID: "
            + trace
            + "\r\nCorrelation ID: "
            + correlation
            + "\r\nTimestamp: "
            + ts);
    body.put("error_codes", List.of(e.code()));
    body.put("timestamp", ts);
    body.put("trace_id", trace);
    body.put("correlation_id", correlation);
    body.put("error_uri", authority + "/error?code=" + e.code());
    log.debug("fake Entra answers {} {}", e.status(), code);
    Http.json(ex, e.status(), body);
  }

  // ---- token endpoint ----------------------------------------------------------------------

  private void token(HttpExchange ex, String tenant, Map<String, String> input) throws IOException {
    tenantOrFail(tenant);
    Map<String, String> form = new LinkedHashMap<>(input);
    if (!form.containsKey("scope") && form.containsKey("resource")) {
      // v1 protocol (/oauth2/token): the audience is the resource itself.
      form.put("scope", form.get("resource") + "/.default");
    }
    String grant = form.get("grant_type");
    if (grant == null) {
      throw EntraException.invalidRequest(
          900144, "The request body must contain the following parameter: 'grant_type'.");
    }
    String clientId = form.get("client_id");
    switch (grant) {
      case "client_credentials":
        {
          EntraApp app = appOrFail(tenant, clientId);
          String acr = authenticateClient(tenant, app, form, true);
          String resource = resource(form.get("scope"), true);
          Http.json(ex, 200, answer(appClaims(app, resource, acr), null, null, form, null));
          return;
        }
      case "password":
        {
          EntraApp app = appOrFail(tenant, clientId);
          authenticateClient(tenant, app, form, false);
          EntraUser user = userOrFail(tenant, form.get("username"));
          if (!user.password().equals(form.get("password"))) {
            throw EntraException.invalidGrant(
                50126, "Error validating credentials due to invalid username or password.");
          }
          userAnswer(ex, tenant, app, user, form, List.of("pwd"));
          return;
        }
      case DEVICE_GRANT:
      case MSAL_DEVICE_GRANT:
        {
          EntraApp app = appOrFail(tenant, clientId);
          DeviceFlow flow = deviceFlows.get(form.getOrDefault("device_code", ""));
          if (flow == null || !flow.clientId.equals(clientId)) {
            throw EntraException.invalidGrant(
                70000, "The provided value for the input parameter 'device_code' is not valid.");
          }
          if (Instant.now().isAfter(flow.expiresAt)) {
            flow.state.set("expired");
          }
          switch (flow.state.get()) {
            case "pending":
              throw new EntraException(
                  400,
                  "authorization_pending",
                  70016,
                  "OAuth 2.0 device flow error. Authorization is pending. Continue polling.");
            case "declined":
              throw new EntraException(
                  400,
                  "authorization_declined",
                  70000,
                  "The user declined the authentication request for device code flow.");
            case "expired":
              throw new EntraException(
                  400,
                  "expired_token",
                  70020,
                  "The provided value for the input parameter 'device_code' is not valid. This"
                      + " device code has expired.");
            default:
              deviceFlows.remove(flow.deviceCode);
              Map<String, String> f = new LinkedHashMap<>(form);
              f.putIfAbsent("scope", flow.scope);
              userAnswer(ex, tenant, app, flow.user, f, List.of("pwd", "mfa"));
              return;
          }
        }
      case "refresh_token":
        {
          EntraApp app = appOrFail(tenant, clientId);
          authenticateClient(tenant, app, form, false);
          Grant g = refreshTokens.get(form.getOrDefault("refresh_token", ""));
          if (g == null || !g.clientId().equals(clientId) || !g.tenant().equals(tenant)) {
            throw EntraException.invalidGrant(
                9002313, "Invalid request. Request is malformed or invalid.");
          }
          Map<String, String> f = new LinkedHashMap<>(form);
          f.putIfAbsent("scope", g.scope());
          userAnswer(ex, tenant, app, g.user(), f, List.of("pwd"));
          return;
        }
      case "authorization_code":
        {
          EntraApp app = appOrFail(tenant, clientId);
          authenticateClient(tenant, app, form, false);
          Grant g = codes.remove(form.getOrDefault("code", ""));
          if (g == null || !g.clientId().equals(clientId)) {
            throw EntraException.invalidGrant(
                70008,
                "The provided authorization code or refresh token has expired due to inactivity.");
          }
          if (g.redirect() != null && !g.redirect().equals(form.get("redirect_uri"))) {
            throw EntraException.invalidGrant(
                50148, "The redirect_uri doesn't match the one used in the authorization request.");
          }
          if (g.pkce() != null) {
            String verifier = form.getOrDefault("code_verifier", "");
            if (!g.pkce().equals(s256(verifier))) {
              throw EntraException.invalidGrant(
                  501481, "The Code_Verifier does not match the code_challenge supplied.");
            }
          }
          Map<String, String> f = new LinkedHashMap<>(form);
          f.putIfAbsent("scope", g.scope());
          userAnswer(ex, tenant, app, g.user(), f, List.of("pwd"));
          return;
        }
      default:
        throw EntraException.invalidRequest(
            70003, "The app requested an unsupported grant type '" + grant + "'.");
    }
  }

  private void userAnswer(
      HttpExchange ex,
      String tenant,
      EntraApp app,
      EntraUser user,
      Map<String, String> form,
      List<String> amr)
      throws IOException {
    String scope = form.get("scope");
    String resource = resource(scope, false);
    String refresh = null;
    if (scope != null && List.of(scope.split(" ")).contains("offline_access")) {
      refresh = randomToken();
      refreshTokens.put(refresh, new Grant(tenant, app.clientId(), user, scope, null, null));
    }
    Map<String, Object> claims = userClaims(app, user, resource, amr);
    Http.json(ex, 200, answer(claims, refresh, idToken(app, user), form, user));
  }

  private Map<String, Object> answer(
      Map<String, Object> claims,
      String refresh,
      String idToken,
      Map<String, String> form,
      EntraUser user) {
    long lifetime = config.tokenLifetime.toSeconds();
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("token_type", "Bearer");
    String scope = form.get("scope");
    if (scope != null) {
      List<String> granted = new ArrayList<>();
      for (String s : scope.split(" ")) {
        if (!s.isBlank() && !OIDC_SCOPES.contains(s)) {
          granted.add(s);
        }
      }
      if (user != null) {
        granted.addAll(List.of("openid", "profile", "offline_access"));
      }
      body.put("scope", String.join(" ", granted));
    }
    body.put("expires_in", lifetime);
    body.put("ext_expires_in", lifetime);
    body.put("access_token", minter.sign(claims));
    if (refresh != null) {
      body.put("refresh_token", refresh);
    }
    if (idToken != null) {
      body.put("id_token", idToken);
    }
    if ("1".equals(form.get("client_info")) && user != null) {
      body.put(
          "client_info",
          TokenMinter.base64Url(
              "{\"uid\":\"" + user.objectId() + "\",\"utid\":\"" + user.tenantId() + "\"}"));
    }
    return body;
  }

  // ---- client authentication ---------------------------------------------------------------

  /** Returns the {@code appidacr}: "0" public, "1" secret, "2" certificate or assertion. */
  private String authenticateClient(
      String tenant, EntraApp app, Map<String, String> form, boolean confidentialOnly) {
    String secret = form.get("client_secret");
    String assertion = form.get("client_assertion");
    if (secret != null) {
      if (!app.secrets().contains(secret)) {
        throw EntraException.invalidClient(
            7000215,
            "Invalid client secret provided. Ensure the secret being sent in the request is the"
                + " client secret value, not the client secret ID, for a secret added to app '"
                + app.clientId()
                + "'.");
      }
      return "1";
    }
    if (assertion != null) {
      if (!JWT_BEARER.equals(form.get("client_assertion_type"))) {
        throw EntraException.invalidRequest(
            50027, "Invalid client_assertion_type: '" + form.get("client_assertion_type") + "'.");
      }
      clientAssertion(tenant, app, assertion);
      return "2";
    }
    if (confidentialOnly || !app.isPublicClient()) {
      throw EntraException.invalidClient(
          7000218,
          "The request body must contain the following parameter: 'client_assertion' or"
              + " 'client_secret'.");
    }
    return "0";
  }

  private void clientAssertion(String tenant, EntraApp app, String assertion) {
    SignedJWT jwt;
    JWTClaimsSet claims;
    try {
      jwt = SignedJWT.parse(assertion);
      claims = jwt.getJWTClaimsSet();
    } catch (Exception e) {
      throw EntraException.invalidClient(50027, "JWT token is invalid or malformed.");
    }
    Instant now = Instant.now();
    Date exp = claims.getExpirationTime();
    Date nbf = claims.getNotBeforeTime();
    if (exp == null
        || exp.toInstant().plusSeconds(60).isBefore(now)
        || (nbf != null && nbf.toInstant().minusSeconds(300).isAfter(now))) {
      throw EntraException.invalidClient(
          700024,
          "Client assertion is not within its valid time range. Current time: "
              + now
              + ", assertion valid from "
              + (nbf == null ? "-" : nbf.toInstant())
              + ", expiry time of assertion "
              + (exp == null ? "-" : exp.toInstant())
              + ".");
    }
    String iss = claims.getIssuer();
    if (app.clientId().equals(iss)) {
      certificateAssertion(tenant, app, jwt, claims);
    } else {
      federatedAssertion(app, jwt, claims);
    }
  }

  private void certificateAssertion(
      String tenant, EntraApp app, SignedJWT jwt, JWTClaimsSet claims) {
    if (!app.clientId().equals(claims.getSubject())) {
      throw EntraException.invalidClient(
          700021, "Client assertion application identifier doesn't match 'client_id' parameter.");
    }
    List<String> aud = claims.getAudience();
    Set<String> accepted =
        Set.of(
            tokenEndpoint(tenant),
            authority + "/" + tenant + "/oauth2/token",
            authority + "/" + tenant,
            authority + "/" + tenant + "/",
            issuerV2(tenant));
    if (aud == null || aud.stream().noneMatch(accepted::contains)) {
      throw EntraException.invalidClient(
          700023,
          "Client assertion audience claim does not match Realm issuer. Review the documentation"
              + " at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .");
    }
    // MSAL4J writes the thumbprints in standard base64 (with padding), RFC 7515 in base64url:
    // Entra accepts both, so compare the decoded bytes.
    Base64URL x5t = jwt.getHeader().getX509CertThumbprint();
    Base64URL x5t256 = jwt.getHeader().getX509CertSHA256Thumbprint();
    byte[] sha1 = x5t == null ? null : decodeEither(x5t.toString());
    byte[] sha256 = x5t256 == null ? null : decodeEither(x5t256.toString());
    Optional<X509Certificate> cert =
        app.certificates().stream()
            .filter(
                c ->
                    (sha1 != null && Arrays.equals(sha1, thumbprint(c, "SHA-1")))
                        || (sha256 != null && Arrays.equals(sha256, thumbprint(c, "SHA-256"))))
            .findFirst();
    String used = x5t256 != null ? x5t256.toString() : String.valueOf(x5t);
    if (cert.isEmpty()) {
      throw EntraException.invalidClient(
          700027,
          "The certificate with identifier used to sign the client assertion is not registered on"
              + " application. [Reason - The key was not found., Thumbprint of key used by client:"
              + " '"
              + used
              + "'].");
    }
    try {
      cert.get().checkValidity();
    } catch (Exception e) {
      throw EntraException.invalidClient(
          700027,
          "Client assertion contains an invalid signature. [Reason - The key has expired.]");
    }
    if (!verify(jwt, (RSAPublicKey) cert.get().getPublicKey())) {
      throw EntraException.invalidClient(
          700027,
          "Client assertion failed signature validation. [Reason - The provided signature value"
              + " did not match the expected signature value., Thumbprint of key used by client: '"
              + used
              + "'].");
    }
  }

  private void federatedAssertion(EntraApp app, SignedJWT jwt, JWTClaimsSet claims) {
    String iss = claims.getIssuer();
    String sub = claims.getSubject();
    List<String> aud = claims.getAudience() == null ? List.of() : claims.getAudience();
    Optional<FederatedCredential> match =
        app.federatedCredentials().stream()
            .filter(
                fc ->
                    fc.issuer().equals(iss)
                        && fc.subject().equals(sub)
                        && aud.contains(fc.audience()))
            .findFirst();
    if (match.isEmpty()) {
      throw EntraException.invalidClient(
          70021,
          "No matching federated identity record found for presented assertion. Assertion Issuer:"
              + " '"
              + iss
              + "'. Assertion Subject: '"
              + sub
              + "'. Assertion Audience: '"
              + String.join(",", aud)
              + "'. https://learn.microsoft.com/entra/workload-id/workload-identity-federation");
    }
    JWKSet keys = issuerKeys(iss);
    String kid = jwt.getHeader().getKeyID();
    boolean ok = false;
    for (JWK k : keys.getKeys()) {
      if (k instanceof RSAKey && (kid == null || kid.equals(k.getKeyID()))) {
        try {
          ok |= verify(jwt, ((RSAKey) k).toRSAPublicKey());
        } catch (Exception e) {
          // try the next key
        }
      }
    }
    if (!ok) {
      throw EntraException.invalidClient(
          700027,
          "Client assertion failed signature validation. [Reason - The key was not found in the"
              + " issuer's keys., Key id: '"
              + kid
              + "', issuer: '"
              + iss
              + "'].");
    }
  }

  private JWKSet issuerKeys(String issuer) {
    JWKSet cached = issuerKeys.get(issuer);
    if (cached != null) {
      return cached;
    }
    try {
      URI discovery =
          URI.create(
              (issuer.endsWith("/") ? issuer.substring(0, issuer.length() - 1) : issuer)
                  + "/.well-known/openid-configuration");
      if (!LoopbackTls.isLoopback(discovery.getHost())) {
        throw new IllegalStateException("issuer is not on loopback: " + issuer);
      }
      Map<?, ?> doc = Http.JSON.readValue(get(discovery), Map.class);
      URI jwksUri = URI.create(String.valueOf(doc.get("jwks_uri")));
      if (!LoopbackTls.isLoopback(jwksUri.getHost())) {
        throw new IllegalStateException("jwks_uri is not on loopback: " + jwksUri);
      }
      JWKSet set = JWKSet.parse(get(jwksUri));
      issuerKeys.put(issuer, set);
      return set;
    } catch (Exception e) {
      log.debug("fake Entra cannot fetch the keys of issuer {}", issuer, e);
      throw EntraException.invalidClient(
          700211,
          "Unable to retrieve the signing keys of the issuer '"
              + issuer
              + "' from its OpenID Connect metadata: "
              + e
              + ".");
    }
  }

  private String get(URI uri) throws IOException, InterruptedException {
    HttpResponse<String> r =
        federationClient.send(
            HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IOException(
          uri
              + " answered "
              + r.statusCode()
              + ": "
              + r.body().substring(0, Math.min(300, r.body().length())));
    }
    return r.body();
  }

  private static boolean verify(SignedJWT jwt, RSAPublicKey key) {
    try {
      JWSVerifier v = new RSASSAVerifier(key);
      return jwt.verify(v);
    } catch (Exception e) {
      return false;
    }
  }

  private static byte[] decodeEither(String b64) {
    try {
      String s = b64.replace('+', '-').replace('/', '_');
      while (s.endsWith("=")) {
        s = s.substring(0, s.length() - 1);
      }
      return Base64.getUrlDecoder().decode(s);
    } catch (IllegalArgumentException e) {
      return new byte[0];
    }
  }

  private static byte[] thumbprint(X509Certificate c, String alg) {
    try {
      return MessageDigest.getInstance(alg).digest(c.getEncoded());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  // ---- device code, authorize --------------------------------------------------------------

  private void deviceCode(HttpExchange ex, String tenant, Map<String, String> form)
      throws IOException {
    tenantOrFail(tenant);
    EntraApp app = appOrFail(tenant, form.get("client_id"));
    if (!app.isPublicClient()) {
      throw EntraException.invalidClient(
          7000218,
          "The request body must contain the following parameter: 'client_assertion' or"
              + " 'client_secret'.");
    }
    String userCode = userCode();
    String deviceCode = randomToken();
    Duration life = config.deviceCodeLifetime;
    deviceFlows.put(
        deviceCode,
        new DeviceFlow(
            deviceCode,
            userCode,
            app.clientId(),
            tenant,
            form.getOrDefault("scope", ""),
            Instant.now().plus(life)));
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("user_code", userCode);
    body.put("device_code", deviceCode);
    body.put("verification_uri", authority + "/devicelogin");
    body.put("expires_in", life.toSeconds());
    body.put("interval", 1);
    body.put(
        "message",
        "To sign in, use a web browser to open the page "
            + authority
            + "/devicelogin and enter the code "
            + userCode
            + " to authenticate.");
    Http.json(ex, 200, body);
  }

  private void authorize(HttpExchange ex, String tenant, Map<String, String> q) throws IOException {
    tenantOrFail(tenant);
    EntraApp app = appOrFail(tenant, q.get("client_id"));
    String redirect = q.get("redirect_uri");
    URI r = redirect == null ? null : URI.create(redirect);
    if (r == null || !LoopbackTls.isLoopback(r.getHost())) {
      throw EntraException.invalidRequest(
          50011,
          "The redirect URI '"
              + redirect
              + "' specified in the request does not match the redirect URIs configured for the"
              + " application '"
              + app.clientId()
              + "'.");
    }
    if (config.interactiveUser == null) {
      throw EntraException.invalidRequest(
          50058, "A silent sign-in request was sent but no user is signed in.");
    }
    EntraUser user = userOrFail(tenant, config.interactiveUser);
    String challenge = q.get("code_challenge");
    if (challenge != null && !"S256".equals(q.getOrDefault("code_challenge_method", "plain"))) {
      throw EntraException.invalidRequest(
          5000, "The code_challenge_method is not supported: use S256.");
    }
    String code = randomToken();
    codes.put(code, new Grant(tenant, app.clientId(), user, q.get("scope"), redirect, challenge));
    StringBuilder loc = new StringBuilder(redirect);
    loc.append(redirect.contains("?") ? '&' : '?').append("code=").append(enc(code));
    if (q.containsKey("state")) {
      loc.append("&state=").append(enc(q.get("state")));
    }
    loc.append("&session_state=").append(UUID.randomUUID());
    Http.redirect(ex, loc.toString());
  }

  // ---- managed identity --------------------------------------------------------------------

  private void managedIdentity(HttpExchange ex) throws IOException, InterruptedException {
    Map<String, String> q = Http.query(ex);
    requests.add(
        new Request(
            "/msi/token", "managed_identity", q.getOrDefault("client_id", ""), "", Instant.now()));
    faults();
    String header = ex.getRequestHeaders().getFirst("X-IDENTITY-HEADER");
    if (header == null || !header.equals(config.managedIdentityHeader)) {
      Map<String, Object> err = new LinkedHashMap<>();
      err.put("statusCode", 401);
      err.put("message", "Unauthorized: the X-IDENTITY-HEADER header is missing or wrong.");
      Http.json(ex, 401, err);
      return;
    }
    String resource = q.get("resource");
    if (resource == null || !"2019-08-01".equals(q.get("api-version"))) {
      Map<String, Object> err = new LinkedHashMap<>();
      err.put("statusCode", 400);
      err.put("message", "resource and api-version=2019-08-01 are required");
      Http.json(ex, 400, err);
      return;
    }
    Optional<ManagedIdentity> mi;
    if (q.containsKey("client_id")) {
      mi =
          config.managedIdentities.stream()
              .filter(i -> i.clientId().equals(q.get("client_id")))
              .findFirst();
    } else if (q.containsKey("principal_id") || q.containsKey("object_id")) {
      String oid = q.getOrDefault("principal_id", q.get("object_id"));
      mi = config.managedIdentities.stream().filter(i -> i.objectId().equals(oid)).findFirst();
    } else if (q.containsKey("mi_res_id")) {
      mi =
          config.managedIdentities.stream()
              .filter(i -> q.get("mi_res_id").equalsIgnoreCase(i.resourceId()))
              .findFirst();
    } else {
      mi = config.managedIdentities.stream().findFirst();
    }
    if (mi.isEmpty()) {
      Map<String, Object> err = new LinkedHashMap<>();
      err.put("statusCode", 400);
      err.put("message", "No managed identity found for the given identity parameters.");
      err.put("correlationId", UUID.randomUUID().toString());
      Http.json(ex, 400, err);
      return;
    }
    ManagedIdentity id = mi.get();
    String aud =
        resource.endsWith("/.default") ? resource.substring(0, resource.length() - 9) : resource;
    Instant now = Instant.now();
    Instant exp = now.plus(config.managedIdentityTokenLifetime);
    Map<String, Object> claims = baseClaims(id.tenantId(), aud, now, exp);
    claims.put("appid", id.clientId());
    claims.put("azp", id.clientId());
    claims.put("appidacr", "2");
    claims.put("idtyp", "app");
    claims.put("oid", id.objectId());
    claims.put("sub", id.objectId());
    if (id.resourceId() != null) {
      claims.put("xms_mirid", id.resourceId());
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("access_token", minter.sign(claims));
    body.put("expires_on", String.valueOf(exp.getEpochSecond()));
    body.put("resource", resource);
    body.put("token_type", "Bearer");
    body.put("client_id", id.clientId());
    Http.json(ex, 200, body);
  }

  // ---- claims ------------------------------------------------------------------------------

  private Map<String, Object> baseClaims(String tenant, String aud, Instant now, Instant exp) {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("aud", aud);
    c.put("iss", config.accessTokenVersion == 1 ? issuerV1(tenant) : issuerV2(tenant));
    c.put("iat", now);
    c.put("nbf", now);
    c.put("exp", exp);
    c.put("tid", tenant);
    c.put("uti", randomToken().substring(0, 22));
    c.put("ver", config.accessTokenVersion == 1 ? "1.0" : "2.0");
    return c;
  }

  /** Claims of an application (client credentials) token. */
  public Map<String, Object> appClaims(EntraApp app, String audience, String acr) {
    Instant now = Instant.now();
    Map<String, Object> c =
        baseClaims(app.tenantId(), audience, now, now.plus(config.tokenLifetime));
    if (config.accessTokenVersion == 1) {
      c.put("appid", app.clientId());
      c.put("appidacr", acr);
      c.put("idp", issuerV1(app.tenantId()));
    } else {
      c.put("azp", app.clientId());
      c.put("azpacr", acr);
    }
    c.put("idtyp", "app");
    c.put("oid", app.objectId());
    c.put("sub", app.objectId());
    if (!app.groups().isEmpty()) {
      c.put("groups", app.groups());
    }
    return c;
  }

  /** Claims of a user's token obtained through {@code app}. */
  public Map<String, Object> userClaims(
      EntraApp app, EntraUser user, String audience, List<String> amr) {
    Instant now = Instant.now();
    Map<String, Object> c =
        baseClaims(user.tenantId(), audience, now, now.plus(config.tokenLifetime));
    if (config.accessTokenVersion == 1) {
      c.put("appid", app.clientId());
      c.put("appidacr", app.isPublicClient() ? "0" : "1");
      c.put("upn", user.upn());
      c.put("unique_name", user.upn());
    } else {
      c.put("azp", app.clientId());
      c.put("azpacr", app.isPublicClient() ? "0" : "1");
      c.put("preferred_username", user.upn());
    }
    c.put("amr", amr);
    c.put("name", user.upn().split("@")[0]);
    c.put("idtyp", "user");
    c.put("oid", user.objectId());
    c.put("sub", user.objectId());
    c.put("scp", "user_impersonation");
    if (!user.groups().isEmpty()) {
      c.put("groups", user.groups());
    }
    return c;
  }

  private String idToken(EntraApp app, EntraUser user) {
    Instant now = Instant.now();
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("aud", app.clientId());
    c.put("iss", issuerV2(user.tenantId()));
    c.put("iat", now);
    c.put("nbf", now);
    c.put("exp", now.plus(Duration.ofHours(1)));
    c.put("name", user.upn().split("@")[0]);
    c.put("oid", user.objectId());
    c.put("preferred_username", user.upn());
    c.put("sub", user.objectId());
    c.put("tid", user.tenantId());
    c.put("ver", "2.0");
    return minter.sign(c);
  }

  // ---- documents ---------------------------------------------------------------------------

  private Map<String, Object> discovery(String tenant, boolean v2) {
    String base = authority + "/" + tenant;
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("token_endpoint", base + (v2 ? "/oauth2/v2.0/token" : "/oauth2/token"));
    d.put(
        "token_endpoint_auth_methods_supported",
        List.of("client_secret_post", "private_key_jwt", "client_secret_basic"));
    d.put("jwks_uri", authority + "/" + tenant + "/discovery/" + (v2 ? "v2.0/" : "") + "keys");
    d.put("response_modes_supported", List.of("query", "fragment", "form_post"));
    d.put("subject_types_supported", List.of("pairwise"));
    d.put("id_token_signing_alg_values_supported", List.of("RS256"));
    d.put(
        "response_types_supported", List.of("code", "id_token", "code id_token", "id_token token"));
    d.put("scopes_supported", List.of("openid", "profile", "email", "offline_access"));
    d.put("issuer", v2 ? issuerV2(tenant) : issuerV1(tenant));
    d.put("authorization_endpoint", base + (v2 ? "/oauth2/v2.0/authorize" : "/oauth2/authorize"));
    d.put(
        "device_authorization_endpoint",
        base + (v2 ? "/oauth2/v2.0/devicecode" : "/oauth2/devicecode"));
    d.put("http_logout_supported", true);
    d.put("end_session_endpoint", base + "/oauth2/v2.0/logout");
    d.put(
        "claims_supported",
        List.of("sub", "iss", "aud", "exp", "iat", "oid", "tid", "upn", "groups", "name"));
    d.put("tenant_region_scope", "EU");
    d.put("cloud_instance_name", "microsoftonline.com");
    d.put("cloud_graph_host_name", "graph.windows.net");
    d.put("msgraph_host", "graph.microsoft.com");
    return d;
  }

  private Map<String, Object> instanceDiscovery(Map<String, String> q) {
    String host = URI.create(authority).getAuthority();
    Map<String, Object> meta = new LinkedHashMap<>();
    meta.put("preferred_network", host);
    meta.put("preferred_cache", host);
    meta.put("aliases", List.of(host));
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("tenant_discovery_endpoint", authority + "/common/v2.0/.well-known/openid-configuration");
    d.put("api-version", "1.1");
    d.put("metadata", List.of(meta));
    return d;
  }

  // ---- lookups -----------------------------------------------------------------------------

  public String tokenEndpoint(String tenant) {
    return authority + "/" + tenant + "/oauth2/v2.0/token";
  }

  public String issuerV2(String tenant) {
    return authority + "/" + tenant + "/v2.0";
  }

  public static String issuerV1(String tenant) {
    return "https://sts.windows.net/" + tenant + "/";
  }

  private void tenantOrFail(String tenant) {
    if (!config.tenants.contains(tenant)) {
      throw EntraException.invalidRequest(
          90002,
          "Tenant '"
              + tenant
              + "' not found. Check to make sure you have the correct tenant ID and are signing"
              + " into the correct cloud. Check with your subscription administrator, this may"
              + " happen if there are no active subscriptions for the tenant.");
    }
  }

  private EntraApp appOrFail(String tenant, String clientId) {
    if (clientId == null) {
      throw EntraException.invalidRequest(
          900144, "The request body must contain the following parameter: 'client_id'.");
    }
    return config.apps.stream()
        .filter(a -> a.clientId().equals(clientId) && a.tenantId().equals(tenant))
        .findFirst()
        .orElseThrow(
            () ->
                new EntraException(
                    400,
                    "unauthorized_client",
                    700016,
                    "Application with identifier '"
                        + clientId
                        + "' was not found in the directory '"
                        + tenant
                        + "'. This can happen if the application has not been installed by the"
                        + " administrator of the tenant or consented to by any user in the"
                        + " tenant. You may have sent your authentication request to the wrong"
                        + " tenant."));
  }

  private EntraUser userOrFail(String tenant, String upn) {
    return config.users.stream()
        .filter(u -> u.tenantId().equals(tenant) && u.upn().equalsIgnoreCase(String.valueOf(upn)))
        .findFirst()
        .orElseThrow(
            () ->
                EntraException.invalidGrant(
                    50034,
                    "The user account {EUII Hidden} does not exist in the "
                        + tenant
                        + " directory. To sign into this application, the account must be added"
                        + " to the directory."));
  }

  /** The audience for a scope list: the one resource scope minus {@code /.default}. */
  static String resource(String scope, boolean requireDefault) {
    if (scope == null || scope.isBlank()) {
      throw EntraException.invalidRequest(
          900144, "The request body must contain the following parameter: 'scope'.");
    }
    for (String s : scope.split(" ")) {
      if (s.isBlank() || OIDC_SCOPES.contains(s)) {
        continue;
      }
      if (s.endsWith("/.default")) {
        return s.substring(0, s.length() - "/.default".length());
      }
      if (requireDefault) {
        throw EntraException.invalidRequest(
            1002012,
            "The provided value for scope "
                + s
                + " is not valid. Client credential flows must have a scope value with /.default"
                + " suffixed to the resource identifier (application ID URI).");
      }
      int slash = s.lastIndexOf('/');
      return slash > 0 ? s.substring(0, slash) : s;
    }
    throw EntraException.invalidRequest(
        1002012, "The provided value for scope " + scope + " is not valid.");
  }

  private String randomToken() {
    byte[] b = new byte[32];
    random.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  private String userCode() {
    String alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 9; i++) {
      sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
    }
    return sb.toString();
  }

  private static String s256(String verifier) {
    try {
      return Base64.getUrlEncoder()
          .withoutPadding()
          .encodeToString(
              MessageDigest.getInstance("SHA-256")
                  .digest(verifier.getBytes(StandardCharsets.US_ASCII)));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  /** Awaits a device flow started by a client, for the test to approve. */
  public DeviceFlow awaitDeviceFlow(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      for (DeviceFlow f : deviceFlows.values()) {
        if ("pending".equals(f.state.get())) {
          return f;
        }
      }
      TimeUnit.MILLISECONDS.sleep(20);
    }
    throw new IllegalStateException("no device code flow started within " + timeout);
  }

  public DeviceFlow flowByUserCode(String userCode) {
    return deviceFlows.values().stream()
        .filter(f -> f.userCode.equalsIgnoreCase(userCode))
        .findFirst()
        .orElseThrow(
            () -> new IllegalArgumentException("no device flow with user code " + userCode));
  }

  public EntraUser user(String tenant, String upn) {
    return userOrFail(tenant, upn);
  }

  public EntraApp app(String tenant, String clientId) {
    return appOrFail(tenant, clientId);
  }

  public String sign(Map<String, Object> claims) {
    return minter.sign(claims);
  }
}
