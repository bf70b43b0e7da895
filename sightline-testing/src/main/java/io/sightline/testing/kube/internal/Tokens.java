package io.sightline.testing.kube.internal;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.text.ParseException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The service-account token signer and verifier. Keys are ES256 (signing is what a TokenRequest
 * costs); a verified token's claims are remembered by token text so a repeated caller costs a map
 * lookup. That cache only skips the signature check: expiry and the bound objects are checked on
 * every request by the authenticator.
 */
public final class Tokens {

  /** The issuer kube-apiserver uses for tokens it mints itself (1.22+ default for kubeadm). */
  public static final String LEGACY_ISSUER = "kubernetes/serviceaccount";

  private static final int MAX_CACHED = 100_000;

  private final String issuer;
  private final List<String> apiAudiences;
  private final ECKey key;
  private final ECDSASigner signer;
  private final ECDSAVerifier verifier;
  private final Map<String, JWTClaimsSet> verified = new ConcurrentHashMap<>();

  /** A minted token and when it expires. */
  public record Minted(String token, Instant expiresAt, String jti) {}

  public Tokens(String issuer) {
    this.issuer = issuer;
    this.apiAudiences = List.of(issuer);
    try {
      this.key = new ECKeyGenerator(Curve.P_256).keyIDFromThumbprint(true).generate();
      this.signer = new ECDSASigner(key);
      this.verifier = new ECDSAVerifier(key.toPublicJWK());
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot create service-account signing key", e);
    }
  }

  public String issuer() {
    return issuer;
  }

  public List<String> apiAudiences() {
    return apiAudiences;
  }

  /** The public key set, as {@code /openid/v1/jwks} serves it. */
  public String jwksJson() {
    return new com.nimbusds.jose.jwk.JWKSet(key.toPublicJWK()).toString();
  }

  /** A TokenRequest token; {@code boundKind} is null, {@code "secret"} or {@code "pod"}. */
  public Minted mintBound(
      String namespace,
      String serviceAccount,
      String serviceAccountUid,
      List<String> audiences,
      long expirationSeconds,
      String boundKind,
      String boundName,
      String boundUid) {
    Instant now = Instant.now();
    Instant exp = now.plusSeconds(expirationSeconds);
    Map<String, Object> k8s = new LinkedHashMap<>();
    k8s.put("namespace", namespace);
    if (boundKind != null) {
      k8s.put(boundKind, Map.of("name", boundName, "uid", boundUid));
    }
    k8s.put("serviceaccount", Map.of("name", serviceAccount, "uid", serviceAccountUid));
    String jti = UUID.randomUUID().toString();
    JWTClaimsSet claims =
        new JWTClaimsSet.Builder()
            .audience(audiences)
            .expirationTime(java.util.Date.from(exp))
            .issueTime(java.util.Date.from(now))
            .issuer(issuer)
            .jwtID(jti)
            .claim("kubernetes.io", k8s)
            .notBeforeTime(java.util.Date.from(now))
            .subject("system:serviceaccount:" + namespace + ":" + serviceAccount)
            .build();
    return new Minted(sign(claims), exp, jti);
  }

  /** A token for a {@code kubernetes.io/service-account-token} Secret, as the token controller. */
  public String mintLegacy(
      String namespace, String serviceAccount, String serviceAccountUid, String secretName) {
    JWTClaimsSet claims =
        new JWTClaimsSet.Builder()
            .issuer(LEGACY_ISSUER)
            .claim("kubernetes.io/serviceaccount/namespace", namespace)
            .claim("kubernetes.io/serviceaccount/secret.name", secretName)
            .claim("kubernetes.io/serviceaccount/service-account.name", serviceAccount)
            .claim("kubernetes.io/serviceaccount/service-account.uid", serviceAccountUid)
            .subject("system:serviceaccount:" + namespace + ":" + serviceAccount)
            .build();
    return sign(claims);
  }

  private String sign(JWTClaimsSet claims) {
    try {
      SignedJWT jwt =
          new SignedJWT(
              new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(key.getKeyID()).build(), claims);
      jwt.sign(signer);
      return jwt.serialize();
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot sign token", e);
    }
  }

  /** The claims of a token this server signed, or null if it did not sign it. */
  public JWTClaimsSet verify(String token) {
    JWTClaimsSet cached = verified.get(token);
    if (cached != null) {
      return cached;
    }
    try {
      SignedJWT jwt = SignedJWT.parse(token);
      if (!JWSAlgorithm.ES256.equals(jwt.getHeader().getAlgorithm())
          || !key.getKeyID().equals(jwt.getHeader().getKeyID())
          || !jwt.verify(verifier)) {
        return null;
      }
      JWTClaimsSet claims = jwt.getJWTClaimsSet();
      if (verified.size() >= MAX_CACHED) {
        verified.clear();
      }
      verified.put(token, claims);
      return claims;
    } catch (ParseException | JOSEException e) {
      return null;
    }
  }
}
