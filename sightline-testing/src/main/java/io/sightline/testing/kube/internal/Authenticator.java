package io.sightline.testing.kube.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.factories.DefaultJWSVerifierFactory;
import com.nimbusds.jose.jwk.AsymmetricJWK;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.sightline.testing.kube.OidcConfig;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who is calling: client certificate, static bearer token, service-account JWT (bound or legacy) or
 * OIDC token, in kube-apiserver's order. Failures are precise in the debug log and vague to the
 * caller (401 Unauthorized).
 */
public final class Authenticator {

  private static final Logger log = LoggerFactory.getLogger(Authenticator.class);

  /** A successful token authentication and the audiences it was valid for. */
  public record Authn(UserInfo user, List<String> audiences) {}

  private record Cached(Authn authn, long expiresAtNanos) {}

  private final Store store;
  private final Registry registry;
  private final Tokens tokens;
  private final int minor;
  private final Map<String, UserInfo> staticTokens = new ConcurrentHashMap<>();
  private final OidcConfig oidc;
  private volatile JWKSet oidcKeys;
  private volatile long oidcFetchedNanos;
  private final Duration cacheTtl;
  private final Map<String, Cached> cache = new ConcurrentHashMap<>();

  public Authenticator(
      Store store,
      Registry registry,
      Tokens tokens,
      int minor,
      OidcConfig oidc,
      Duration cacheTtl) {
    this.store = store;
    this.registry = registry;
    this.tokens = tokens;
    this.minor = minor;
    this.oidc = oidc;
    this.oidcKeys = oidc == null ? null : oidc.jwks();
    this.cacheTtl = cacheTtl;
  }

  public void addStaticToken(String token, UserInfo user) {
    staticTokens.put(token, user);
  }

  /** The caller of a request; anonymous when it presents nothing. */
  public UserInfo authenticate(String authorization, X509Certificate[] peer) {
    if (peer != null && peer.length > 0) {
      return fromCertificate(peer[0]);
    }
    if (authorization == null) {
      return UserInfo.ANONYMOUS;
    }
    if (!authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      throw ApiException.unauthorized();
    }
    String token = authorization.substring(7).trim();
    Authn a = authenticateToken(token, tokens.apiAudiences());
    if (a == null) {
      throw ApiException.unauthorized();
    }
    return a.user();
  }

  static UserInfo fromCertificate(X509Certificate cert) {
    String cn = null;
    List<String> groups = new ArrayList<>();
    try {
      for (Rdn rdn : new LdapName(cert.getSubjectX500Principal().getName()).getRdns()) {
        if (rdn.getType().equalsIgnoreCase("CN")) {
          cn = rdn.getValue().toString();
        } else if (rdn.getType().equalsIgnoreCase("O")) {
          groups.add(0, rdn.getValue().toString());
        }
      }
    } catch (javax.naming.InvalidNameException e) {
      throw ApiException.unauthorized();
    }
    if (cn == null) {
      throw ApiException.unauthorized();
    }
    groups.add(UserInfo.AUTHENTICATED);
    return new UserInfo(cn, null, List.copyOf(groups), Map.of());
  }

  /**
   * A bearer token's identity if it is valid for one of {@code audiences} (the API audiences for
   * requests, the TokenReview's audiences for reviews), else null.
   */
  public Authn authenticateToken(String token, List<String> audiences) {
    String cacheKey = null;
    if (cacheTtl != null) {
      cacheKey = token + "\n" + String.join(",", audiences);
      Cached c = cache.get(cacheKey);
      if (c != null && c.expiresAtNanos() - System.nanoTime() > 0) {
        return c.authn();
      }
    }
    Authn result = doAuthenticate(token, audiences);
    if (result != null && cacheKey != null) {
      if (cache.size() > 100_000) {
        cache.clear();
      }
      cache.put(cacheKey, new Cached(result, System.nanoTime() + cacheTtl.toNanos()));
    }
    return result;
  }

  private Authn doAuthenticate(String token, List<String> audiences) {
    UserInfo u = staticTokens.get(token);
    if (u != null) {
      return new Authn(u, audiences);
    }
    if (token.chars().filter(c -> c == '.').count() != 2) {
      log.debug("token is neither a known static token nor a JWT");
      return null;
    }
    JWTClaimsSet claims = tokens.verify(token);
    if (claims != null) {
      return Tokens.LEGACY_ISSUER.equals(claims.getIssuer())
          ? legacy(token, claims, audiences)
          : bound(claims, audiences);
    }
    if (oidc != null) {
      return oidc(token, audiences);
    }
    log.debug("token signature not from this server and no OIDC issuer configured");
    return null;
  }

  private Authn bound(JWTClaimsSet c, List<String> audiences) {
    Date now = new Date();
    if (!tokens.issuer().equals(c.getIssuer())) {
      return null;
    }
    if (c.getExpirationTime() == null || !c.getExpirationTime().after(now)) {
      log.debug("service-account token expired");
      return null;
    }
    if (c.getNotBeforeTime() != null
        && c.getNotBeforeTime().after(new Date(now.getTime() + 1000))) {
      return null;
    }
    List<String> matched = intersect(c.getAudience(), audiences);
    if (matched.isEmpty()) {
      log.debug("service-account token audiences {} do not match {}", c.getAudience(), audiences);
      return null;
    }
    Object k8sClaim = c.getClaim("kubernetes.io");
    if (!(k8sClaim instanceof Map<?, ?> k8s)) {
      return null;
    }
    String ns = String.valueOf(k8s.get("namespace"));
    Map<?, ?> sa = (Map<?, ?>) k8s.get("serviceaccount");
    if (sa == null || !exists("ServiceAccount", ns, sa.get("name"), sa.get("uid"))) {
      log.debug("service account of token is gone or was replaced");
      return null;
    }
    Map<String, List<String>> extra = new java.util.LinkedHashMap<>();
    for (String kind : List.of("secret", "pod")) {
      Map<?, ?> ref = (Map<?, ?>) k8s.get(kind);
      if (ref == null) {
        continue;
      }
      String k = kind.equals("secret") ? "Secret" : "Pod";
      if (!exists(k, ns, ref.get("name"), ref.get("uid"))) {
        log.debug("token's bound {} is gone or was replaced", kind);
        return null;
      }
      if (kind.equals("pod")) {
        extra.put(
            "authentication.kubernetes.io/pod-name", List.of(String.valueOf(ref.get("name"))));
        extra.put("authentication.kubernetes.io/pod-uid", List.of(String.valueOf(ref.get("uid"))));
      }
    }
    if (minor >= 29 && c.getJWTID() != null) {
      extra.put("authentication.kubernetes.io/credential-id", List.of("JTI=" + c.getJWTID()));
    }
    return new Authn(
        saUser(ns, String.valueOf(sa.get("name")), String.valueOf(sa.get("uid")), extra), matched);
  }

  private Authn legacy(String token, JWTClaimsSet c, List<String> audiences) {
    String ns = (String) c.getClaim("kubernetes.io/serviceaccount/namespace");
    String secretName = (String) c.getClaim("kubernetes.io/serviceaccount/secret.name");
    String saName = (String) c.getClaim("kubernetes.io/serviceaccount/service-account.name");
    String saUid = (String) c.getClaim("kubernetes.io/serviceaccount/service-account.uid");
    if (!exists("ServiceAccount", ns, saName, saUid)) {
      log.debug("legacy token's service account is gone or was replaced");
      return null;
    }
    ObjectNode secret = store.get(registry.byKind("", "Secret"), ns, secretName);
    String stored = secret == null ? null : secret.path("data").path("token").asText(null);
    if (stored == null
        || !token.equals(new String(Base64.getDecoder().decode(stored), StandardCharsets.UTF_8))) {
      log.debug("legacy token's secret is gone or holds another token");
      return null;
    }
    return new Authn(saUser(ns, saName, saUid, Map.of()), audiences);
  }

  private static UserInfo saUser(
      String ns, String name, String uid, Map<String, List<String>> extra) {
    return new UserInfo(
        "system:serviceaccount:" + ns + ":" + name,
        uid,
        List.of("system:serviceaccounts", "system:serviceaccounts:" + ns, UserInfo.AUTHENTICATED),
        Map.copyOf(extra));
  }

  private boolean exists(String kind, String ns, Object name, Object uid) {
    if (name == null) {
      return false;
    }
    ObjectNode o = store.get(registry.byKind("", kind), ns, String.valueOf(name));
    return o != null && o.path("metadata").path("uid").asText().equals(String.valueOf(uid));
  }

  private Authn oidc(String token, List<String> audiences) {
    try {
      SignedJWT jwt = SignedJWT.parse(token);
      JWTClaimsSet c = jwt.getJWTClaimsSet();
      if (!oidc.issuerUrl().equals(c.getIssuer())) {
        log.debug("token issuer {} is not the configured OIDC issuer", c.getIssuer());
        return null;
      }
      JWK key = oidcKey(jwt.getHeader());
      if (!(key instanceof AsymmetricJWK ak)) {
        log.debug("no OIDC key for kid {}", jwt.getHeader().getKeyID());
        return null;
      }
      JWSVerifier v =
          new DefaultJWSVerifierFactory().createJWSVerifier(jwt.getHeader(), ak.toPublicKey());
      if (!jwt.verify(v)) {
        log.debug("OIDC token signature invalid");
        return null;
      }
      Date now = new Date();
      if (c.getExpirationTime() == null || !c.getExpirationTime().after(now)) {
        log.debug("OIDC token expired");
        return null;
      }
      if (c.getAudience() == null || !c.getAudience().contains(oidc.clientId())) {
        log.debug("OIDC token audience {} lacks {}", c.getAudience(), oidc.clientId());
        return null;
      }
      Object name = c.getClaim(oidc.usernameClaim());
      if (name == null) {
        log.debug("OIDC token lacks username claim {}", oidc.usernameClaim());
        return null;
      }
      List<String> groups = new ArrayList<>();
      if (oidc.groupsClaim() != null) {
        Object g = c.getClaim(oidc.groupsClaim());
        if (g instanceof List<?> list) {
          list.forEach(x -> groups.add(oidc.groupsPrefix() + x));
        } else if (g != null) {
          groups.add(oidc.groupsPrefix() + g);
        }
      }
      groups.add(UserInfo.AUTHENTICATED);
      return new Authn(
          new UserInfo(oidc.usernamePrefix() + name, null, List.copyOf(groups), Map.of()),
          audiences);
    } catch (Exception e) {
      log.debug("OIDC token rejected: {}", e.toString());
      return null;
    }
  }

  private JWK oidcKey(JWSHeader header) throws Exception {
    JWKSet keys = oidcKeys;
    JWK key = keys == null ? null : find(keys, header.getKeyID());
    if (key == null
        && oidc.jwksUrl() != null
        && System.nanoTime() - oidcFetchedNanos > Duration.ofSeconds(1).toNanos()) {
      HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5));
      if (oidc.sslContext() != null) {
        b.sslContext(oidc.sslContext());
      }
      HttpResponse<String> r =
          b.build()
              .send(
                  HttpRequest.newBuilder(oidc.jwksUrl()).timeout(Duration.ofSeconds(5)).build(),
                  HttpResponse.BodyHandlers.ofString());
      oidcFetchedNanos = System.nanoTime();
      oidcKeys = JWKSet.parse(r.body());
      key = find(oidcKeys, header.getKeyID());
    }
    return key;
  }

  private static JWK find(JWKSet keys, String kid) {
    if (kid == null) {
      return keys.getKeys().size() == 1 ? keys.getKeys().get(0) : null;
    }
    return keys.getKeyByKeyId(kid);
  }

  private static List<String> intersect(List<String> a, List<String> b) {
    List<String> out = new ArrayList<>();
    if (a != null) {
      for (String x : a) {
        if (b.contains(x)) {
          out.add(x);
        }
      }
    }
    return out;
  }
}
