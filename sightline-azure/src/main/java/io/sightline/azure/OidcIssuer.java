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
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * The Sightline server as an OIDC issuer for workload identity federation: it signs client
 * assertions ({@code sub = sc://<server-name>/<connection-name>}, {@code aud =
 * api://AzureADTokenExchange}, 5 minutes) that Entra exchanges for tokens, so no Azure secret is
 * stored. Entra verifies them through the issuer's discovery document and JWKS, which the server
 * serves and {@link #exportTo} writes as static files.
 *
 * <p>Keys rotate with overlap: {@link #stageNextKey()} publishes the next key in the JWKS before it
 * signs (re-export then, so Entra knows it), {@link #rotate()} makes it sign, and the old key stays
 * in the JWKS until the last assertion it signed has expired. {@link #maintain} does both on a
 * schedule ({@link RotationPolicy}).
 *
 * <p>Several replicas share one {@link KeyStorage}: every change is a read-change-save through
 * {@link KeyStorage#update}, and each replica re-reads the keys at most {@link #REFRESH} after
 * another one changed them.
 */
public final class OidcIssuer {
  public static final String TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange";
  public static final Duration ASSERTION_LIFETIME = Duration.ofMinutes(5);

  /** Clock skew allowed after a retired key's last assertion expired. */
  private static final Duration SKEW = Duration.ofMinutes(1);

  /** How long a replica signs with keys it read before reading them again. */
  public static final Duration REFRESH = Duration.ofSeconds(10);

  /** The actor of changes the server makes by itself (first key, scheduled rotation). */
  public static final String SYSTEM = "system";

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

  /** A key's place in its life: published before it signs, signing, published after it signed. */
  public enum KeyState {
    /** Published in the JWKS, not signing yet. */
    NEXT,
    /** Signs assertions now. */
    ACTIVE,
    /** No longer signs; published until its last assertion has expired. */
    RETIRED
  }

  /** A signing key as an operator sees it (no key material). */
  public record KeyInfo(
      String keyId,
      String algorithm,
      KeyState state,
      Instant createdAt,
      Instant activatedAt,
      Instant retiredAt) {}

  /**
   * When keys rotate: a key signs for {@code rotateEvery}; its successor is published {@code
   * publishAhead} before it starts signing (a staged key signs once it has been published that
   * long).
   */
  public record RotationPolicy(Duration rotateEvery, Duration publishAhead) {
    public RotationPolicy {
      Objects.requireNonNull(rotateEvery, "rotateEvery");
      Objects.requireNonNull(publishAhead, "publishAhead");
      if (rotateEvery.isNegative()
          || rotateEvery.isZero()
          || publishAhead.isNegative()
          || publishAhead.compareTo(rotateEvery) >= 0) {
        throw new IllegalArgumentException(
            "publishAhead must be shorter than rotateEvery, both positive");
      }
    }
  }

  private record Entry(
      JWK jwk, KeyState state, Instant createdAt, Instant activatedAt, Instant retiredAt) {
    Entry with(KeyState s, Instant activated, Instant retired) {
      return new Entry(jwk, s, createdAt, activated, retired);
    }

    String kid() {
      return jwk.getKeyID();
    }
  }

  private final Supplier<String> issuer;
  private final String serverName;
  private final KeyStorage storage;
  private final KeyType keyType;
  private final Clock clock;

  private volatile List<Entry> keys = List.of();
  private volatile String material;
  private volatile Instant readAt = Instant.MIN;

  /**
   * Loads the keys from storage, or generates the first one and saves it.
   *
   * @param issuerUrl the {@code iss} (the {@code --oidc-issuer-url}); no trailing slash
   * @param serverName the server's name in subjects
   */
  public OidcIssuer(
      String issuerUrl, String serverName, KeyStorage storage, KeyType keyType, Clock clock) {
    this(
        constant(Objects.requireNonNull(issuerUrl, "issuerUrl")),
        serverName,
        storage,
        keyType,
        clock);
  }

  /**
   * As above, with the issuer URL known only later (a server on port 0 learns its own URL once it
   * listens); it is asked for each time it is used.
   */
  public OidcIssuer(
      Supplier<String> issuerUrl,
      String serverName,
      KeyStorage storage,
      KeyType keyType,
      Clock clock) {
    this.issuer = Objects.requireNonNull(issuerUrl, "issuerUrl");
    this.serverName = Objects.requireNonNull(serverName, "serverName");
    this.storage = Objects.requireNonNull(storage, "storage");
    this.keyType = Objects.requireNonNull(keyType, "keyType");
    this.clock = Objects.requireNonNull(clock, "clock");
    change(
        SYSTEM,
        (list, changes) -> {
          if (list.stream().noneMatch(e -> e.state() == KeyState.ACTIVE)) {
            Instant now = clock.instant();
            Entry first = new Entry(generate(), KeyState.ACTIVE, now, now, null);
            list.add(first);
            changes.add(new KeyStorage.Change("created", first.kid()));
          }
        });
  }

  public OidcIssuer(String issuerUrl, String serverName, KeyStorage storage) {
    this(issuerUrl, serverName, storage, KeyType.RSA_2048, Clock.systemUTC());
  }

  private static Supplier<String> constant(String s) {
    return () -> s;
  }

  public String issuerUrl() {
    return stripSlash(Objects.requireNonNull(issuer.get(), "issuer URL not known yet"));
  }

  public String jwksUri() {
    return issuerUrl() + JWKS_PATH;
  }

  /** The server's name in subjects. */
  public String serverName() {
    return serverName;
  }

  /**
   * The subject of a connection's assertions, to paste into the Entra app's federated credential.
   */
  public String subject(String connectionName) {
    return "sc://" + serverName + "/" + connectionName;
  }

  /** A client assertion for a connection, valid for 5 minutes. */
  public SecretValue clientAssertion(String connectionName) {
    Entry active = active(current());
    Instant now = clock.instant();
    JWTClaimsSet claims =
        new JWTClaimsSet.Builder()
            .issuer(issuerUrl())
            .subject(subject(connectionName))
            .audience(TOKEN_EXCHANGE_AUDIENCE)
            .issueTime(Date.from(now))
            .notBeforeTime(Date.from(now))
            .expirationTime(Date.from(now.plus(ASSERTION_LIFETIME)))
            .jwtID(UUID.randomUUID().toString())
            .build();
    JWSHeader header =
        new JWSHeader.Builder(algorithm(active.jwk()))
            .keyID(active.kid())
            .type(JOSEObjectType.JWT)
            .build();
    SignedJWT jwt = new SignedJWT(header, claims);
    try {
      jwt.sign(signer(active.jwk()));
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot sign a client assertion", e);
    }
    return SecretValue.of(jwt.serialize());
  }

  /** The discovery document ({@code /.well-known/openid-configuration}). */
  public String discoveryJson() {
    ObjectNode d = JSON.createObjectNode();
    d.put("issuer", issuerUrl());
    d.put("jwks_uri", jwksUri());
    d.putArray("response_types_supported").add("id_token");
    d.putArray("subject_types_supported").add("public");
    ArrayNode algs = d.putArray("id_token_signing_alg_values_supported");
    published(current()).stream()
        .map(e -> algorithm(e.jwk()).getName())
        .distinct()
        .forEach(algs::add);
    d.putArray("claims_supported").add("iss").add("sub").add("aud").add("exp").add("iat");
    return d.toString();
  }

  /** The public keys: the signing key, a staged next key, and retired keys still in overlap. */
  public String jwksJson() {
    List<JWK> pub = new ArrayList<>();
    for (Entry e : published(current())) {
      pub.add(e.jwk().toPublicJWK());
    }
    return new JWKSet(pub).toString(true);
  }

  /** The key id that signs now. */
  public String activeKeyId() {
    return active(current()).kid();
  }

  /** The published keys with their states, newest first (next, active, retired on a tie). */
  public List<KeyInfo> keys() {
    List<KeyInfo> out = new ArrayList<>();
    for (Entry e : published(current())) {
      out.add(
          new KeyInfo(
              e.kid(),
              algorithm(e.jwk()).getName(),
              e.state(),
              e.createdAt(),
              e.activatedAt(),
              e.retiredAt()));
    }
    out.sort(
        java.util.Comparator.comparing(KeyInfo::createdAt)
            .reversed()
            .thenComparing(KeyInfo::state));
    return out;
  }

  /**
   * Publishes the next signing key in the JWKS without signing with it yet; re-export the documents
   * now so Entra knows the key before {@link #rotate()}. Returns its key id.
   */
  public String stageNextKey() {
    return stageNextKey(SYSTEM);
  }

  /** As {@link #stageNextKey()}, on behalf of {@code actor} (for the audit trail). */
  public String stageNextKey(String actor) {
    List<Entry> after = change(actor, (list, changes) -> stage(list, changes));
    return after.stream().filter(e -> e.state() == KeyState.NEXT).findFirst().orElseThrow().kid();
  }

  /**
   * The staged key (or a new one) signs from now on; the old key stays in the JWKS until its last
   * assertion has expired. Returns the new key id.
   */
  public String rotate() {
    return rotate(SYSTEM);
  }

  /** As {@link #rotate()}, on behalf of {@code actor} (for the audit trail). */
  public String rotate(String actor) {
    return active(change(actor, (list, changes) -> activate(list, changes))).kid();
  }

  /**
   * The scheduled work: drops retired keys whose overlap has passed, stages the next key {@code
   * publishAhead} before the active key's time is up, and makes a staged key sign once it has been
   * published for {@code publishAhead}. Writes only when something is due. Returns what changed.
   */
  public List<KeyStorage.Change> maintain(RotationPolicy policy) {
    Objects.requireNonNull(policy, "policy");
    if (!due(current(), policy)) {
      return List.of();
    }
    List<KeyStorage.Change> done = new ArrayList<>();
    change(
        SYSTEM,
        (list, changes) -> {
          Instant now = clock.instant();
          Optional<Entry> next = list.stream().filter(e -> e.state() == KeyState.NEXT).findFirst();
          Optional<Entry> active =
              list.stream().filter(e -> e.state() == KeyState.ACTIVE).findFirst();
          if (next.isPresent()
              && !now.isBefore(next.get().createdAt().plus(policy.publishAhead()))) {
            activate(list, changes);
          } else if (next.isEmpty() && active.isPresent() && stageDue(active.get(), policy, now)) {
            stage(list, changes);
          }
          done.addAll(changes);
        });
    return done;
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

  /** A change of the key list; adds what it did to {@code changes}. */
  private interface Mutation {
    void apply(List<Entry> keys, List<KeyStorage.Change> changes);
  }

  /** Read-change-save through the storage; the in-memory keys become what is stored now. */
  private List<Entry> change(String actor, Mutation mutation) {
    String stored =
        storage.update(
            current -> {
              List<Entry> list = new ArrayList<>(current.map(this::parse).orElse(List.of()));
              List<KeyStorage.Change> changes = new ArrayList<>();
              Instant now = clock.instant();
              for (Entry e : List.copyOf(list)) {
                if (expired(e, now)) {
                  list.remove(e);
                  changes.add(new KeyStorage.Change("removed", e.kid()));
                }
              }
              mutation.apply(list, changes);
              return new KeyStorage.Update(
                  changes.isEmpty() ? current.orElse(serialize(list)) : serialize(list),
                  changes,
                  actor);
            });
    List<Entry> parsed = parse(stored);
    keys = parsed;
    material = stored;
    readAt = clock.instant();
    return parsed;
  }

  private void stage(List<Entry> list, List<KeyStorage.Change> changes) {
    if (list.stream().anyMatch(e -> e.state() == KeyState.NEXT)) {
      return;
    }
    Entry next = new Entry(generate(), KeyState.NEXT, clock.instant(), null, null);
    list.add(next);
    changes.add(new KeyStorage.Change("staged", next.kid()));
  }

  private void activate(List<Entry> list, List<KeyStorage.Change> changes) {
    stage(list, changes);
    Instant now = clock.instant();
    for (int i = 0; i < list.size(); i++) {
      Entry e = list.get(i);
      if (e.state() == KeyState.ACTIVE) {
        list.set(i, e.with(KeyState.RETIRED, e.activatedAt(), now));
        changes.add(new KeyStorage.Change("retired", e.kid()));
      }
    }
    for (int i = 0; i < list.size(); i++) {
      Entry e = list.get(i);
      if (e.state() == KeyState.NEXT) {
        list.set(i, e.with(KeyState.ACTIVE, now, null));
        changes.add(new KeyStorage.Change("activated", e.kid()));
      }
    }
  }

  private boolean due(List<Entry> list, RotationPolicy policy) {
    Instant now = clock.instant();
    for (Entry e : list) {
      if (expired(e, now)) {
        return true;
      }
      if (e.state() == KeyState.NEXT && !now.isBefore(e.createdAt().plus(policy.publishAhead()))) {
        return true;
      }
    }
    boolean staged = list.stream().anyMatch(e -> e.state() == KeyState.NEXT);
    Optional<Entry> active = list.stream().filter(e -> e.state() == KeyState.ACTIVE).findFirst();
    return !staged && active.isPresent() && stageDue(active.get(), policy, now);
  }

  /** The active key's successor is published {@code publishAhead} before its time is up. */
  private static boolean stageDue(Entry active, RotationPolicy policy, Instant now) {
    Instant since = active.activatedAt() != null ? active.activatedAt() : active.createdAt();
    return !now.isBefore(since.plus(policy.rotateEvery()).minus(policy.publishAhead()));
  }

  /** A retired key whose last assertion has expired (with skew): no longer published. */
  private static boolean expired(Entry e, Instant now) {
    return e.state() == KeyState.RETIRED
        && now.isAfter(e.retiredAt().plus(ASSERTION_LIFETIME).plus(SKEW));
  }

  private List<Entry> published(List<Entry> list) {
    Instant now = clock.instant();
    return list.stream().filter(e -> !expired(e, now)).toList();
  }

  /** The keys, re-read from storage when the last read is older than {@link #REFRESH}. */
  private List<Entry> current() {
    if (stale()) {
      synchronized (this) {
        if (stale()) {
          Optional<String> stored = storage.load();
          if (stored.isPresent() && !stored.get().equals(material)) {
            keys = parse(stored.get());
            material = stored.get();
          }
          readAt = clock.instant();
        }
      }
    }
    return keys;
  }

  private boolean stale() {
    Instant now = clock.instant();
    return now.isAfter(readAt.plus(REFRESH)) || now.isBefore(readAt);
  }

  private static Entry active(List<Entry> list) {
    for (Entry e : list) {
      if (e.state() == KeyState.ACTIVE) {
        return e;
      }
    }
    throw new IllegalStateException("no active signing key");
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

  private static String serialize(List<Entry> list) {
    ObjectNode root = JSON.createObjectNode();
    root.put("version", 1);
    ArrayNode arr = root.putArray("keys");
    for (Entry e : list) {
      ObjectNode k = arr.addObject();
      k.put("state", e.state().name());
      k.put("createdAt", e.createdAt().toString());
      if (e.activatedAt() != null) {
        k.put("activatedAt", e.activatedAt().toString());
      }
      if (e.retiredAt() != null) {
        k.put("retiredAt", e.retiredAt().toString());
      }
      try {
        k.set("jwk", JSON.readTree(e.jwk().toJSONString()));
      } catch (IOException ex) {
        throw new UncheckedIOException(ex);
      }
    }
    return root.toString();
  }

  private List<Entry> parse(String stored) {
    try {
      List<Entry> out = new ArrayList<>();
      JsonNode root = JSON.readTree(stored);
      for (JsonNode k : root.path("keys")) {
        JWK jwk = JWK.parse(k.get("jwk").toString());
        if (!jwk.isPrivate()) {
          throw new IllegalStateException(
              "stored issuer key " + jwk.getKeyID() + " is not private");
        }
        KeyState state = KeyState.valueOf(k.get("state").asText());
        // Keys saved before timestamps were kept count as old: the scheduler rotates them soon.
        Instant created = instant(k, "createdAt", Instant.EPOCH);
        Instant activated =
            instant(k, "activatedAt", state == KeyState.NEXT ? null : Instant.EPOCH);
        Instant retired = instant(k, "retiredAt", state == KeyState.RETIRED ? Instant.EPOCH : null);
        out.add(new Entry(jwk, state, created, activated, retired));
      }
      return List.copyOf(out);
    } catch (IOException | ParseException | RuntimeException e) {
      throw new IllegalStateException(
          "the stored OIDC issuer keys cannot be read: " + e.getClass().getSimpleName(), e);
    }
  }

  private static Instant instant(JsonNode k, String field, Instant fallback) {
    return k.hasNonNull(field) ? Instant.parse(k.get(field).asText()) : fallback;
  }

  private static String stripSlash(String s) {
    return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
  }
}
