package io.sightline.connections.agent;

import com.nimbusds.jose.EncryptionMethod;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWEAlgorithm;
import com.nimbusds.jose.JWEHeader;
import com.nimbusds.jose.JWEObject;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.DirectDecrypter;
import com.nimbusds.jose.crypto.DirectEncrypter;
import com.nimbusds.jose.crypto.ECDHDecrypter;
import com.nimbusds.jose.crypto.ECDHEncrypter;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.sightline.core.SecretValue;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The agent's cryptography, from nimbus-jose-jwt: an EC P-256 key pair for signing proofs (ES256
 * JWS) and one for receiving secrets (JWE, ECDH-ES+A256KW with A256GCM, authenticated encryption).
 * The private keys stay on the agent host; the server keeps the public JWK set only.
 *
 * <p>Per job no EC operation is needed beyond the proof: a job travels as a JWE ({@code dir},
 * A256GCM) under a <em>channel key</em>, a random 256-bit key the server holds in memory for one
 * agent (at most 10 minutes) and sends along encrypted to that agent's key (ECDH-ES+A256KW), which
 * the agent decrypts once per channel key; the answer travels back as a JWE ({@code dir}, A256GCM)
 * under a random 256-bit key the server put inside the job itself.
 */
public final class AgentCrypto {
  /** The proof's JOSE type, so a proof cannot be confused with another JWT. */
  public static final JOSEObjectType PROOF_TYPE = new JOSEObjectType("sightline-agent-proof+jwt");

  /** The longest lifetime a proof may have (the server refuses longer ones). */
  public static final Duration MAX_PROOF_TTL = Duration.ofSeconds(60);

  public static final String SIGNING_KID = "sig";
  public static final String ENCRYPTION_KID = "enc";

  private static final SecureRandom RANDOM = new SecureRandom();

  private AgentCrypto() {}

  /** A new key set: a signing key and an encryption key (both with private parts). */
  public static JWKSet newKeys() {
    try {
      ECKey sig =
          new ECKeyGenerator(Curve.P_256).keyUse(KeyUse.SIGNATURE).keyID(SIGNING_KID).generate();
      ECKey enc =
          new ECKeyGenerator(Curve.P_256)
              .keyUse(KeyUse.ENCRYPTION)
              .keyID(ENCRYPTION_KID)
              .generate();
      return new JWKSet(List.of(sig, enc));
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot generate an EC key", e);
    }
  }

  public static ECKey signingKey(JWKSet keys) {
    return (ECKey) keys.getKeyByKeyId(SIGNING_KID);
  }

  public static ECKey encryptionKey(JWKSet keys) {
    return (ECKey) keys.getKeyByKeyId(ENCRYPTION_KID);
  }

  /** Parses a JWK set (public or private). */
  public static JWKSet parseKeys(String json) {
    try {
      JWKSet set = JWKSet.parse(json);
      if (!(set.getKeyByKeyId(SIGNING_KID) instanceof ECKey)
          || !(set.getKeyByKeyId(ENCRYPTION_KID) instanceof ECKey)) {
        throw new IllegalArgumentException(
            "the key set needs an EC key \"sig\" and an EC key \"enc\"");
      }
      return set;
    } catch (ParseException e) {
      throw new IllegalArgumentException("not a JWK set: " + e.getMessage(), e);
    }
  }

  /** Bytes of a job's result key and of a channel key (AES-256). */
  public static final int RESULT_KEY_BYTES = 32;

  /** A fresh random result key (the server's, one per job). */
  public static byte[] newResultKey() {
    byte[] k = new byte[RESULT_KEY_BYTES];
    RANDOM.nextBytes(k);
    return k;
  }

  /**
   * Encrypts under a 256-bit key (JWE {@code dir}, A256GCM): a job's answer under the job's result
   * key ({@code kid} names the claim it answers), a job under a channel key ({@code kid} its id).
   * The protected header, {@code kid} included, is authenticated with the ciphertext.
   */
  public static String encryptDirect(SecretValue plaintext, byte[] key, String kid) {
    JWEObject jwe =
        new JWEObject(
            new JWEHeader.Builder(JWEAlgorithm.DIR, EncryptionMethod.A256GCM).keyID(kid).build(),
            new Payload(plaintext.reveal()));
    try {
      jwe.encrypt(new DirectEncrypter(key));
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot encrypt under a direct key", e);
    }
    return jwe.serialize();
  }

  /**
   * Decrypts what {@link #encryptDirect} made under {@code key} (an answer, or a job).
   *
   * @throws IllegalArgumentException when it is not such a JWE or was not made with this key
   */
  public static SecretValue decryptDirect(String jwe, byte[] key) {
    try {
      JWEObject o = JWEObject.parse(jwe);
      if (!JWEAlgorithm.DIR.equals(o.getHeader().getAlgorithm())
          || !EncryptionMethod.A256GCM.equals(o.getHeader().getEncryptionMethod())) {
        throw new IllegalArgumentException(
            "unexpected JWE algorithms " + o.getHeader().getAlgorithm());
      }
      o.decrypt(new DirectDecrypter(key));
      return SecretValue.of(o.getPayload().toString());
    } catch (ParseException | JOSEException e) {
      throw new IllegalArgumentException("cannot decrypt: " + e.getMessage(), e);
    }
  }

  /** A fresh channel key: 256 random bits and a random key id. */
  public static OctetSequenceKey newChannelKey() {
    return new OctetSequenceKey.Builder(newResultKey()).keyID("ch-" + randomId()).build();
  }

  /**
   * Opens a job's payload: a JWE ({@code dir}) under a channel key, which {@code payloadKey}
   * carries encrypted to the agent's key; channel keys already opened are taken from {@code
   * channelKeys} (by key id) and new ones added to it.
   *
   * @throws IllegalArgumentException when the payload or its key cannot be decrypted
   */
  public static SecretValue openJob(
      String payload, String payloadKey, ECKey recipient, Map<String, byte[]> channelKeys) {
    String kid;
    try {
      kid = JWEObject.parse(payload).getHeader().getKeyID();
    } catch (ParseException e) {
      throw new IllegalArgumentException("the job is not a JWE", e);
    }
    byte[] key = kid == null ? null : channelKeys.get(kid);
    if (key == null) {
      if (payloadKey == null || payloadKey.isBlank()) {
        throw new IllegalArgumentException("the job came without its payloadKey");
      }
      OctetSequenceKey ch;
      try {
        ch = OctetSequenceKey.parse(decrypt(payloadKey, recipient).reveal());
      } catch (ParseException e) {
        throw new IllegalArgumentException("the payloadKey holds no key", e);
      }
      if (ch.getKeyID() == null || !ch.getKeyID().equals(kid)) {
        throw new IllegalArgumentException("the payloadKey is not the key of this job");
      }
      key = ch.toByteArray();
      if (channelKeys.size() > 16) {
        channelKeys.clear();
      }
      channelKeys.put(kid, key);
    }
    return decryptDirect(payload, key);
  }

  /** A random id (for proof {@code jti}s). */
  public static String randomId() {
    byte[] b = new byte[16];
    RANDOM.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  /**
   * A proof for one call: signed by the agent's key, {@code iss}/{@code sub} the agent id, {@code
   * aud} the server URL, {@code htm}/{@code htu} the method and path, a fresh {@code jti}, valid
   * for {@code ttl} (at most {@link #MAX_PROOF_TTL}).
   */
  public static String proof(
      ECKey signing, String agentId, String audience, String method, String path, Duration ttl) {
    Instant now = Instant.now();
    JWTClaimsSet claims =
        new JWTClaimsSet.Builder()
            .issuer(agentId)
            .subject(agentId)
            .audience(audience)
            .issueTime(Date.from(now))
            .expirationTime(
                Date.from(now.plus(ttl.compareTo(MAX_PROOF_TTL) > 0 ? MAX_PROOF_TTL : ttl)))
            .jwtID(randomId())
            .claim("htm", method)
            .claim("htu", path)
            .build();
    SignedJWT jwt =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.ES256).type(PROOF_TYPE).keyID(agentId).build(),
            claims);
    try {
      jwt.sign(new ECDSASigner(signing));
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot sign an agent proof", e);
    }
    return jwt.serialize();
  }

  /** Encrypts {@code plaintext} to {@code recipient}'s public key (JWE compact serialization). */
  public static String encrypt(SecretValue plaintext, ECKey recipient) {
    JWEObject jwe =
        new JWEObject(
            new JWEHeader.Builder(JWEAlgorithm.ECDH_ES_A256KW, EncryptionMethod.A256GCM)
                .keyID(recipient.getKeyID())
                .build(),
            new Payload(plaintext.reveal()));
    try {
      jwe.encrypt(new ECDHEncrypter(recipient.toPublicJWK()));
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot encrypt to the agent's key", e);
    }
    return jwe.serialize();
  }

  /**
   * Decrypts a JWE made by {@link #encrypt} with the recipient's private key.
   *
   * @throws IllegalArgumentException when it is not such a JWE or was not made for this key
   */
  public static SecretValue decrypt(String jwe, ECKey recipient) {
    try {
      JWEObject o = JWEObject.parse(jwe);
      if (!JWEAlgorithm.ECDH_ES_A256KW.equals(o.getHeader().getAlgorithm())
          || !EncryptionMethod.A256GCM.equals(o.getHeader().getEncryptionMethod())) {
        throw new IllegalArgumentException(
            "unexpected JWE algorithms " + o.getHeader().getAlgorithm());
      }
      o.decrypt(new ECDHDecrypter(recipient));
      return SecretValue.of(o.getPayload().toString());
    } catch (ParseException | JOSEException e) {
      throw new IllegalArgumentException("cannot decrypt: " + e.getMessage(), e);
    }
  }

  // ------------------------------------------------------------------ session MAC

  /** The scheme of a request authenticated by a session key ({@code Authorization}). */
  public static final String MAC_SCHEME = "Agent-MAC";

  /** How long a MAC'd request is good for after its timestamp (as a proof's {@code exp}). */
  public static final Duration MAX_MAC_AGE = MAX_PROOF_TTL;

  private static final String MAC_VERSION = "sightline-agent-mac-v1";

  /**
   * A fresh session key: 256 random bits, a random key id ({@code sk-…}) and its expiry (JWK {@code
   * exp}), which the server sends an agent encrypted to its key alongside the channel key.
   */
  public static OctetSequenceKey newSessionKey(Instant expiresAt) {
    return new OctetSequenceKey.Builder(newResultKey())
        .keyID("sk-" + randomId())
        .expirationTime(Date.from(expiresAt))
        .build();
  }

  /** A request's MAC header, parsed: key id, timestamp (epoch seconds), nonce and MAC. */
  public record MacHeader(String kid, long timestamp, String nonce, byte[] mac) {
    /**
     * Parses {@code kid.ts.nonce.mac} (the part after the scheme).
     *
     * @throws IllegalArgumentException when it is not of that form
     */
    public static MacHeader parse(String value) {
      String[] parts = value.strip().split("\\.", -1);
      if (parts.length != 4
          || parts[0].isEmpty()
          || parts[2].isEmpty()
          || parts[0].length() > 64
          || parts[2].length() > 64) {
        throw new IllegalArgumentException("not kid.timestamp.nonce.mac");
      }
      try {
        return new MacHeader(
            parts[0], Long.parseLong(parts[1]), parts[2], Base64.getUrlDecoder().decode(parts[3]));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("not kid.timestamp.nonce.mac", e);
      }
    }
  }

  /**
   * The {@code Authorization} value of a request authenticated by a session key: {@code Agent-MAC
   * kid.ts.nonce.mac}, the MAC being HMAC-SHA256 under the session key over {@link #macInput}.
   */
  public static String macAuthorization(
      byte[] key,
      String kid,
      String audience,
      String method,
      String pathAndQuery,
      byte[] body,
      long timestamp) {
    String nonce = randomId();
    byte[] mac = mac(key, macInput(kid, timestamp, nonce, audience, method, pathAndQuery, body));
    return MAC_SCHEME
        + " "
        + kid
        + "."
        + timestamp
        + "."
        + nonce
        + "."
        + Base64.getUrlEncoder().withoutPadding().encodeToString(mac);
  }

  /**
   * What a request's MAC covers, one item a line: a version tag, the key id, the timestamp, the
   * nonce, the method, the audience (the server's URL), the path with its query, and the SHA-256 of
   * the body (base64url).
   */
  public static byte[] macInput(
      String kid,
      long timestamp,
      String nonce,
      String audience,
      String method,
      String pathAndQuery,
      byte[] body) {
    String s =
        MAC_VERSION
            + "\n"
            + kid
            + "\n"
            + timestamp
            + "\n"
            + nonce
            + "\n"
            + method
            + "\n"
            + audience
            + "\n"
            + pathAndQuery
            + "\n"
            + Base64.getUrlEncoder().withoutPadding().encodeToString(sha256(body));
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** HMAC-SHA256 of {@code input} under {@code key}. */
  public static byte[] mac(byte[] key, byte[] input) {
    try {
      Mac m = Mac.getInstance("HmacSHA256");
      m.init(new SecretKeySpec(key, "HmacSHA256"));
      return m.doFinal(input);
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }

  private static byte[] sha256(byte[] b) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(b == null ? new byte[0] : b);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
