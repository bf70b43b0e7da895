package io.sightline.testing.azure.internal;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.security.KeyPair;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.Map;
import java.util.UUID;

/** Signs the emulator's RS256 tokens with one key, published in the JWKS under its kid. */
public final class TokenMinter {
  private final RSAKey key;
  private final RSASSASigner signer;

  public TokenMinter() {
    KeyPair kp = LoopbackTls.rsaKeyPair();
    this.key =
        new RSAKey.Builder((RSAPublicKey) kp.getPublic())
            .privateKey((RSAPrivateKey) kp.getPrivate())
            .keyUse(KeyUse.SIGNATURE)
            .algorithm(JWSAlgorithm.RS256)
            .keyID("fake-entra-" + UUID.randomUUID().toString().substring(0, 8))
            .build();
    this.signer = newSigner(key);
  }

  private static RSASSASigner newSigner(RSAKey key) {
    try {
      return new RSASSASigner(key);
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  public JWKSet publicJwks() {
    return new JWKSet(key.toPublicJWK());
  }

  public RSAKey publicKey() {
    return key.toPublicJWK();
  }

  /** Signs {@code claims} (values: String, Number, Boolean, List, Instant as epoch seconds). */
  public String sign(Map<String, Object> claims) {
    JWTClaimsSet.Builder b = new JWTClaimsSet.Builder();
    claims.forEach(
        (k, v) -> {
          if (v instanceof Instant) {
            b.claim(k, Date.from((Instant) v));
          } else {
            b.claim(k, v);
          }
        });
    SignedJWT jwt =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.RS256)
                .type(JOSEObjectType.JWT)
                .keyID(key.getKeyID())
                .build(),
            b.build());
    try {
      jwt.sign(signer);
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
    return jwt.serialize();
  }

  public static String base64Url(String json) {
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(json.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }
}
