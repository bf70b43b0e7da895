package io.sightline.testing.kube.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.text.ParseException;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.params.ParametersWithRandom;
import org.bouncycastle.crypto.signers.ECDSASigner;

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
  private static final SecureRandom RANDOM = new SecureRandom();

  private final ECPrivateKeyParameters bcKey;
  private final String encodedHeader;
  private final ECDSAVerifier verifier;
  private final Map<String, JWTClaimsSet> verified = new ConcurrentHashMap<>();

  /** A minted token and when it expires. */
  public record Minted(String token, Instant expiresAt, String jti) {}

  public Tokens(String issuer) {
    this.issuer = issuer;
    this.apiAudiences = List.of(issuer);
    try {
      this.key = new ECKeyGenerator(Curve.P_256).keyIDFromThumbprint(true).generate();
      X9ECParameters x9 = CustomNamedCurves.getByName("secp256r1");
      this.bcKey =
          new ECPrivateKeyParameters(
              key.toECPrivateKey().getS(),
              new ECDomainParameters(x9.getCurve(), x9.getG(), x9.getN(), x9.getH()));
      this.encodedHeader =
          new JWSHeader.Builder(JWSAlgorithm.ES256)
              .keyID(key.getKeyID())
              .build()
              .toBase64URL()
              .toString();
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
    long now = Instant.now().getEpochSecond();
    long exp = now + expirationSeconds;
    String jti = UUID.randomUUID().toString();
    // Key order and an always-array "aud" as kube-apiserver writes them.
    ObjectNode c = Json.object();
    ArrayNode aud = c.putArray("aud");
    audiences.forEach(aud::add);
    c.put("exp", exp);
    c.put("iat", now);
    c.put("iss", issuer);
    c.put("jti", jti);
    ObjectNode k8s = c.putObject("kubernetes.io");
    k8s.put("namespace", namespace);
    if (boundKind != null) {
      k8s.putObject(boundKind).put("name", boundName).put("uid", boundUid);
    }
    k8s.putObject("serviceaccount").put("name", serviceAccount).put("uid", serviceAccountUid);
    c.put("nbf", now);
    c.put("sub", "system:serviceaccount:" + namespace + ":" + serviceAccount);
    return new Minted(sign(c), Instant.ofEpochSecond(exp), jti);
  }

  /** A token for a {@code kubernetes.io/service-account-token} Secret, as the token controller. */
  public String mintLegacy(
      String namespace, String serviceAccount, String serviceAccountUid, String secretName) {
    ObjectNode c = Json.object();
    c.put("iss", LEGACY_ISSUER);
    c.put("kubernetes.io/serviceaccount/namespace", namespace);
    c.put("kubernetes.io/serviceaccount/secret.name", secretName);
    c.put("kubernetes.io/serviceaccount/service-account.name", serviceAccount);
    c.put("kubernetes.io/serviceaccount/service-account.uid", serviceAccountUid);
    c.put("sub", "system:serviceaccount:" + namespace + ":" + serviceAccount);
    return sign(c);
  }

  /**
   * ES256 with BouncyCastle's lightweight ECDSA (fixed-point comb over a precomputed table): about
   * twice as fast as the JDK's signer on this CPU. Verification stays with the JDK via Nimbus.
   */
  private String sign(ObjectNode claims) {
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    String signingInput = encodedHeader + "." + b64.encodeToString(Json.bytes(claims));
    SHA256Digest digest = new SHA256Digest();
    byte[] in = signingInput.getBytes(StandardCharsets.US_ASCII);
    digest.update(in, 0, in.length);
    byte[] hash = new byte[32];
    digest.doFinal(hash, 0);
    ECDSASigner ecdsa = new ECDSASigner();
    ecdsa.init(true, new ParametersWithRandom(bcKey, RANDOM));
    BigInteger[] rs = ecdsa.generateSignature(hash);
    byte[] sig = new byte[64];
    fixed32(rs[0], sig, 0);
    fixed32(rs[1], sig, 32);
    return signingInput + "." + b64.encodeToString(sig);
  }

  private static void fixed32(BigInteger v, byte[] out, int offset) {
    byte[] b = v.toByteArray();
    int len = Math.min(b.length, 32);
    System.arraycopy(b, b.length - len, out, offset + 32 - len, len);
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
