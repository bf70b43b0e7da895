package io.sightline.azure;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.sightline.core.SecretValue;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * The Sightline server as an OIDC issuer for workload identity federation: it signs client
 * assertions ({@code sub = sc://<server-name>/<connection-name>}, {@code aud =
 * api://AzureADTokenExchange}, 5 minutes) that Entra exchanges for tokens, so no Azure secret is
 * stored. Entra verifies them through the issuer's discovery document and JWKS, which the server
 * serves and {@link #exportTo} writes as static files.
 *
 * <p>Keys rotate with overlap: {@link #stageNextKey()} publishes the next key in the JWKS before it
 * signs (re-export then, so Entra knows it), {@link #rotate()} makes it sign, and the old key stays
 * in the JWKS until the last assertion it signed has expired.
 */
public final class OidcIssuer {
  public static final String TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange";
  public static final Duration ASSERTION_LIFETIME = Duration.ofMinutes(5);

  /** Clock skew allowed after a retired key's last assertion expired. */
  private static final Duration SKEW = Duration.ofMinutes(1);

  public static final String DISCOVERY_PATH = "/.well-known/openid-configuration";
  public static final String JWKS_PATH = "/.well-known/jwks.json";

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * The signing key type. Entra ID verifies federated assertions signed with RS256 only, so {@code
   * RSA_2048} is the default; {@code EC_P256} (ES256) suits other relying parties.
   */
  public enum KeyType {
    EC_P256,
    RSA_2048
  }

  private enum State {
    NEXT,
    ACTIVE,
    RETIRED
  }

  private static final class Entry {
    final JWK jwk;
    State state;
    Instant retiredAt;

    Entry(JWK jwk, State state, Instant retiredAt) {
      this.jwk = jwk;
      this.state = state;
      this.retiredAt = retiredAt;
    }
  }

  private final String issuer;
  private final String serverName;
  private final KeyStorage storage;
  private final KeyType keyType;
  private final Clock clock;
  private final List<Entry> keys = new ArrayList<>();

  /**
   * Loads the keys from storage, or generates the first one and saves it.
   *
   * @param issuerUrl the {@code iss} (the {@code --oidc-issuer-url}); no trailing slash
   * @param serverName the server's name in subjects
   */
  public OidcIssuer(
      String issuerUrl, String serverName, KeyStorage storage, KeyType keyType, Clock clock) {
    this.issuer = stripSlash(Objects.requireNonNull(issuerUrl, "issuerUrl"));
    this.serverName = Objects.requireNonNull(serverName, "serverName");
    this.storage = Objects.requireNonNull(storage, "storage");
    this.keyType = Objects.requireNonNull(keyType, "keyType");
    this.clock = Objects.requireNonNull(clock, "clock");
    synchronized (this) {
      storage.load().ifPresent(this::read);
      if (keys.stream().noneMatch(e -> e.state == State.ACTIVE)) {
        keys.add(new Entry(generate(), State.ACTIVE, null));
        save();
      }
    }
  }

  public OidcIssuer(String issuerUrl, String serverName, KeyStorage storage) {
    this(issuerUrl, serverName, storage, KeyType.RSA_2048, Clock.systemUTC());
  }

  public String issuerUrl() {
    return issuer;
  }

  public String jwksUri() {
    return issuer + JWKS_PATH;
  }

  /**
   * The subject of a connection's assertions, to paste into the Entra app's federated credential.
   */
  public String subject(String connectionName) {
    return "sc://" + serverName + "/" + connectionName;
  }

  /** A client assertion for a connection, valid for 5 minutes. */
  public synchronized SecretValue clientAssertion(String connectionName) {
    prune();
    Entry active = active();
    Instant now = clock.instant();
    JWTClaimsSet claims =
        new JWTClaimsSet.Builder()
            .issuer(issuer)
            .subject(subject(connectionName))
            .audience(TOKEN_EXCHANGE_AUDIENCE)
            .issueTime(Date.from(now))
            .notBeforeTime(Date.from(now))
            .expirationTime(Date.from(now.plus(ASSERTION_LIFETIME)))
            .jwtID(UUID.randomUUID().toString())
            .build();
    JWSHeader header =
        new JWSHeader.Builder(algorithm(active.jwk))
            .keyID(active.jwk.getKeyID())
            .type(JOSEObjectType.JWT)
            .build();
    SignedJWT jwt = new SignedJWT(header, claims);
    try {
      jwt.sign(signer(active.jwk));
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot sign a client assertion", e);
    }
    return SecretValue.of(jwt.serialize());
  }

  /** The discovery document ({@code /.well-known/openid-configuration}). */
  public String discoveryJson() {
    ObjectNode d = JSON.createObjectNode();
    d.put("issuer", issuer);
    d.put("jwks_uri", jwksUri());
    d.putArray("response_types_supported").add("id_token");
    d.putArray("subject_types_supported").add("public");
    ArrayNode algs = d.putArray("id_token_signing_alg_values_supported");
    synchronized (this) {
      keys.stream().map(e -> algorithm(e.jwk).getName()).distinct().forEach(algs::add);
    }
    d.putArray("claims_supported").add("iss").add("sub").add("aud").add("exp").add("iat");
    return d.toString();
  }

  /** The public keys: the signing key, a staged next key, and retired keys still in overlap. */
  public synchronized String jwksJson() {
    prune();
    List<JWK> pub = new ArrayList<>();
    for (Entry e : keys) {
      pub.add(e.jwk.toPublicJWK());
    }
    return new JWKSet(pub).toString(true);
  }

  /** The key id that signs now. */
  public synchronized String activeKeyId() {
    return active().jwk.getKeyID();
  }

  /**
   * Publishes the next signing key in the JWKS without signing with it yet; re-export the documents
   * now so Entra knows the key before {@link #rotate()}. Returns its key id.
   */
  public synchronized String stageNextKey() {
    for (Entry e : keys) {
      if (e.state == State.NEXT) {
        return e.jwk.getKeyID();
      }
    }
    Entry next = new Entry(generate(), State.NEXT, null);
    keys.add(next);
    save();
    return next.jwk.getKeyID();
  }

  /**
   * The staged key (or a new one) signs from now on; the old key stays in the JWKS until its last
   * assertion has expired. Returns the new key id.
   */
  public synchronized String rotate() {
    String next = stageNextKey();
    Instant now = clock.instant();
    for (Entry e : keys) {
      if (e.state == State.ACTIVE) {
        e.state = State.RETIRED;
        e.retiredAt = now;
      } else if (e.state == State.NEXT) {
        e.state = State.ACTIVE;
      }
    }
    save();
    return next;
  }

  /**
   * Writes {@code DIR/.well-known/openid-configuration} and {@code DIR/.well-known/jwks.json} to
   * host at the issuer URL ({@code sightline issuer export DIR}).
   */
  public List<Path> exportTo(Path dir) {
    Path wk = dir.resolve(".well-known");
    Path discovery = wk.resolve("openid-configuration");
    Path jwks = wk.resolve("jwks.json");
    try {
      Files.createDirectories(wk);
      Files.writeString(discovery, discoveryJson(), StandardCharsets.UTF_8);
      Files.writeString(jwks, jwksJson(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot export the issuer documents to " + dir, e);
    }
    return List.of(discovery, jwks);
  }

  // ---- machinery ----------------------------------------------------------------------

  private Entry active() {
    for (Entry e : keys) {
      if (e.state == State.ACTIVE) {
        return e;
      }
    }
    throw new IllegalStateException("no active signing key");
  }

  private void prune() {
    Instant now = clock.instant();
    boolean removed =
        keys.removeIf(
            e ->
                e.state == State.RETIRED
                    && now.isAfter(e.retiredAt.plus(ASSERTION_LIFETIME).plus(SKEW)));
    if (removed) {
      save();
    }
  }

  private static JWSAlgorithm algorithm(JWK jwk) {
    return jwk instanceof ECKey ? JWSAlgorithm.ES256 : JWSAlgorithm.RS256;
  }

  private JWK generate() {
    String kid = UUID.randomUUID().toString();
    try {
      if (keyType == KeyType.EC_P256) {
        return new ECKeyGenerator(Curve.P_256)
            .keyID(kid)
            .keyUse(KeyUse.SIGNATURE)
            .algorithm(JWSAlgorithm.ES256)
            .generate();
      }
      return new RSAKeyGenerator(2048)
          .keyID(kid)
          .keyUse(KeyUse.SIGNATURE)
          .algorithm(JWSAlgorithm.RS256)
          .generate();
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot generate a signing key", e);
    }
  }

  private static JWSSigner signer(JWK jwk) throws JOSEException {
    if (jwk instanceof ECKey ec) {
      return new ECDSASigner(ec);
    }
    return new RSASSASigner((RSAKey) jwk);
  }

  private void save() {
    ObjectNode root = JSON.createObjectNode();
    root.put("version", 1);
    ArrayNode arr = root.putArray("keys");
    for (Entry e : keys) {
      ObjectNode k = arr.addObject();
      k.put("state", e.state.name());
      if (e.retiredAt != null) {
        k.put("retiredAt", e.retiredAt.toString());
      }
      try {
        k.set("jwk", JSON.readTree(e.jwk.toJSONString()));
      } catch (IOException ex) {
        throw new UncheckedIOException(ex);
      }
    }
    storage.save(root.toString());
  }

  private void read(String material) {
    try {
      JsonNode root = JSON.readTree(material);
      for (JsonNode k : root.path("keys")) {
        JWK jwk = JWK.parse(k.get("jwk").toString());
        if (!jwk.isPrivate()) {
          throw new IllegalStateException(
              "stored issuer key " + jwk.getKeyID() + " is not private");
        }
        State state = State.valueOf(k.get("state").asText());
        Instant retired = k.has("retiredAt") ? Instant.parse(k.get("retiredAt").asText()) : null;
        keys.add(new Entry(jwk, state, retired));
      }
    } catch (IOException | ParseException | RuntimeException e) {
      throw new IllegalStateException(
          "the stored OIDC issuer keys cannot be read: " + e.getClass().getSimpleName(), e);
    }
  }

  private static String stripSlash(String s) {
    return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
  }
}
