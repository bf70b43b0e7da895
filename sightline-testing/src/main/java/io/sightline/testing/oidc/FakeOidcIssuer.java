package io.sightline.testing.oidc;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.sightline.testing.pki.TestCa;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;

/**
 * A third-party OIDC issuer on loopback HTTPS, standing in for a CI provider (GitHub Actions,
 * GitLab, Azure DevOps): discovery at {@code /.well-known/openid-configuration}, its JWKS at {@code
 * /jwks}, and ID tokens signed with its current RS256 key (or any key, algorithm or none, to test
 * refusals). {@link #rotate()} replaces the published key. It also serves GitHub Actions' token
 * request endpoint ({@code ACTIONS_ID_TOKEN_REQUEST_URL}/{@code _TOKEN}) at {@link
 * #gitHubRequestUrl()}, answering {@code {"value": <ID token>}} for the requested audience with the
 * claims set by {@link #gitHubClaims}.
 *
 * <pre>{@code
 * try (FakeOidcIssuer ci = FakeOidcIssuer.start()) {
 *   String token = ci.token("repo:org/app:ref:refs/heads/main", "sightline", Map.of("repository", "org/app"));
 * }
 * }</pre>
 */
public final class FakeOidcIssuer implements AutoCloseable {
  private final TestCa ca;
  private final HttpsServer server;
  private final ExecutorService executor;
  private final String issuer;
  private final String requestToken;
  private final AtomicInteger jwksRequests = new AtomicInteger();
  private volatile RSAKey current;
  private volatile List<JWK> published;
  private volatile Map<String, Object> gitHubClaims = Map.of();
  private volatile Duration lifetime = Duration.ofMinutes(5);

  private FakeOidcIssuer(String path) throws IOException {
    ca = TestCa.create("Fake OIDC issuer CA");
    TestCa.Issued cert = ca.issueServer(List.of("localhost"), List.of("127.0.0.1"));
    SSLContext ssl = ca.sslContext(cert);
    server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 32);
    server.setHttpsConfigurator(new HttpsConfigurator(ssl));
    executor = Executors.newFixedThreadPool(4, r -> daemon(r));
    server.setExecutor(executor);
    issuer = "https://127.0.0.1:" + server.getAddress().getPort() + path;
    byte[] random = new byte[24];
    new SecureRandom().nextBytes(random);
    requestToken = "ghreq-" + Base64URL.encode(random);
    current = newRsaKey("key-1");
    published = List.of(current.toPublicJWK());
    String base = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    server.createContext(base + "/.well-known/openid-configuration", this::discovery);
    server.createContext(base + "/jwks", this::jwks);
    server.createContext("/_github/token", this::gitHubToken);
    server.start();
  }

  private static Thread daemon(Runnable r) {
    Thread t = new Thread(r, "fake-oidc-issuer");
    t.setDaemon(true);
    return t;
  }

  /** An issuer at {@code https://127.0.0.1:<port>}. */
  public static FakeOidcIssuer start() {
    return start("");
  }

  /** An issuer at {@code https://127.0.0.1:<port><path>} (e.g. {@code /org-id}). */
  public static FakeOidcIssuer start(String path) {
    try {
      return new FakeOidcIssuer(path);
    } catch (IOException e) {
      throw new IllegalStateException("cannot start the fake OIDC issuer", e);
    }
  }

  /** The issuer URL, exactly as in the tokens' {@code iss}. */
  public String issuer() {
    return issuer;
  }

  /** The PEM of the CA that signed the issuer's TLS certificate. */
  public String caPem() {
    return ca.certPem();
  }

  public Path writeCaBundle(Path file) throws IOException {
    Files.writeString(file, caPem(), StandardCharsets.UTF_8);
    return file;
  }

  /** How many times the JWKS was fetched. */
  public int jwksRequests() {
    return jwksRequests.get();
  }

  /** The key tokens are signed with by default. */
  public RSAKey currentKey() {
    return current;
  }

  /** A fresh RSA-2048 signing key with {@code kid} (not published). */
  public static RSAKey newRsaKey(String kid) {
    try {
      return new RSAKeyGenerator(2048).keyID(kid).keyUse(KeyUse.SIGNATURE).generate();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A fresh EC P-256 signing key with {@code kid} (not published). */
  public static ECKey newEcKey(String kid) {
    try {
      return new ECKeyGenerator(Curve.P_256).keyID(kid).keyUse(KeyUse.SIGNATURE).generate();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Replaces the signing key with a new one ({@code kid}) and publishes only the new one. */
  public RSAKey rotate(String kid) {
    RSAKey k = newRsaKey(kid);
    current = k;
    published = List.of(k.toPublicJWK());
    return k;
  }

  /** Publishes these keys' public halves (in addition to nothing else). */
  public void publish(JWK... keys) {
    List<JWK> out = new ArrayList<>();
    for (JWK k : keys) {
      out.add(k.toPublicJWK());
    }
    published = List.copyOf(out);
  }

  /** Lifetime of tokens made by {@link #token} (default 5 minutes). */
  public FakeOidcIssuer lifetime(Duration d) {
    lifetime = d;
    return this;
  }

  /** The standard claims plus {@code extra}: iss, sub, aud, iat, nbf, exp, jti. */
  public JWTClaimsSet claims(String subject, String audience, Map<String, Object> extra) {
    Instant now = Instant.now();
    JWTClaimsSet.Builder b =
        new JWTClaimsSet.Builder()
            .issuer(issuer)
            .subject(subject)
            .audience(audience)
            .issueTime(Date.from(now))
            .notBeforeTime(Date.from(now.minusSeconds(5)))
            .expirationTime(Date.from(now.plus(lifetime)))
            .jwtID(UUID.randomUUID().toString());
    extra.forEach(b::claim);
    return b.build();
  }

  /** An ID token signed with the current key. */
  public String token(String subject, String audience, Map<String, Object> extra) {
    return sign(current, JWSAlgorithm.RS256, claims(subject, audience, extra));
  }

  /** Signs {@code claims} with {@code key} and {@code alg} (RS256, ES256 or HS256). */
  public static String sign(JWK key, JWSAlgorithm alg, JWTClaimsSet claims) {
    try {
      JWSSigner signer;
      if (key instanceof RSAKey rsa) {
        signer = new RSASSASigner(rsa);
      } else if (key instanceof ECKey ec) {
        signer = new ECDSASigner(ec);
      } else {
        throw new IllegalArgumentException("RSA or EC keys only; use signHs256 for HMAC");
      }
      SignedJWT jwt =
          new SignedJWT(
              new JWSHeader.Builder(alg).keyID(key.getKeyID()).type(JOSEObjectType.JWT).build(),
              claims);
      jwt.sign(signer);
      return jwt.serialize();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  /** An HS256 token whose HMAC secret is {@code secret} (at least 32 bytes). */
  public static String signHs256(byte[] secret, String kid, JWTClaimsSet claims) {
    try {
      SignedJWT jwt =
          new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID(kid).build(), claims);
      jwt.sign(new MACSigner(secret));
      return jwt.serialize();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  /** An unsigned token ({@code alg: none}). */
  public static String unsigned(JWTClaimsSet claims) {
    return new PlainJWT(claims).serialize();
  }

  // ------------------------------------------------------------------ GitHub token requests

  /** The value of {@code ACTIONS_ID_TOKEN_REQUEST_URL}. */
  public String gitHubRequestUrl() {
    return "https://127.0.0.1:" + server.getAddress().getPort() + "/_github/token";
  }

  /** The value of {@code ACTIONS_ID_TOKEN_REQUEST_TOKEN}. */
  public String gitHubRequestToken() {
    return requestToken;
  }

  /** The claims of tokens answered at {@link #gitHubRequestUrl()}: sub and the rest. */
  public FakeOidcIssuer gitHubClaims(Map<String, Object> claims) {
    gitHubClaims = Map.copyOf(claims);
    return this;
  }

  // ------------------------------------------------------------------ HTTP

  private void discovery(HttpExchange ex) throws IOException {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("issuer", issuer);
    d.put("jwks_uri", issuer + "/jwks");
    d.put("response_types_supported", List.of("id_token"));
    d.put("subject_types_supported", List.of("public"));
    d.put("id_token_signing_alg_values_supported", List.of("RS256", "ES256"));
    reply(ex, 200, com.nimbusds.jose.util.JSONObjectUtils.toJSONString(d));
  }

  private void jwks(HttpExchange ex) throws IOException {
    jwksRequests.incrementAndGet();
    reply(ex, 200, new JWKSet(published).toString(true));
  }

  private void gitHubToken(HttpExchange ex) throws IOException {
    String auth = ex.getRequestHeaders().getFirst("Authorization");
    if (auth == null || !auth.equalsIgnoreCase("bearer " + requestToken)) {
      reply(ex, 401, "{\"message\":\"Bad credentials\"}");
      return;
    }
    String audience = null;
    String q = ex.getRequestURI().getRawQuery();
    if (q != null) {
      for (String part : q.split("&")) {
        if (part.startsWith("audience=")) {
          audience = URLDecoder.decode(part.substring(9), StandardCharsets.UTF_8);
        }
      }
    }
    Map<String, Object> claims = new LinkedHashMap<>(gitHubClaims);
    Object sub = claims.remove("sub");
    String token =
        token(
            sub == null ? "repo:org/app:ref:refs/heads/main" : sub.toString(),
            audience == null ? "https://github.com/org" : audience,
            claims);
    reply(ex, 200, "{\"count\":1,\"value\":\"" + token + "\"}");
  }

  private static void reply(HttpExchange ex, int status, String body) throws IOException {
    ex.getRequestBody().readAllBytes();
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
