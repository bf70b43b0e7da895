package io.sightline.server.trust;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.SignedJWT;
import io.sightline.server.leases.PipelineIdentity;
import io.sightline.server.trust.internal.IssuerKeys;
import io.sightline.store.Store;
import io.sightline.store.Trust.TrustedIssuer;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Verifies a CI's OIDC ID token against the trusted issuers and maps it to a {@link
 * PipelineIdentity}: signature (RS256 or ES256 only) with the issuer's published keys, {@code iss}
 * of a trusted issuer, {@code exp}/{@code nbf} with {@link #SKEW} of clock skew, {@code aud} one of
 * the trust's audiences, the trust's subject pin, then the preset's claim mapping. Refusals carry a
 * reason for the DEBUG log (never the token); the caller sees a plain 401.
 */
public final class IdTokenVerifier {
  private static final Logger log = LoggerFactory.getLogger(IdTokenVerifier.class);

  /** Clock skew allowed on {@code exp} and {@code nbf}. */
  public static final Duration SKEW = Duration.ofSeconds(60);

  /** The only signature algorithms accepted. */
  public static final Set<JWSAlgorithm> ALGORITHMS = Set.of(JWSAlgorithm.RS256, JWSAlgorithm.ES256);

  private static final int MAX_TOKEN_CHARS = 16 * 1024;
  private static final int MAX_CLAIM_CHARS = 256;

  /** Why a token was refused: for the DEBUG log only. */
  public static final class Refused extends Exception {
    private static final long serialVersionUID = 1L;

    Refused(String reason) {
      super(reason);
    }
  }

  private final Store store;
  private final Clock clock;
  private final IssuerKeys keys;

  public IdTokenVerifier(Store store, Clock clock, IssuerKeys keys) {
    this.store = store;
    this.clock = clock;
    this.keys = keys;
  }

  /** True when {@code bearer} has the shape of a JWT (three dot-separated parts). */
  public static boolean looksLikeJwt(String bearer) {
    int first = bearer.indexOf('.');
    return first > 0 && bearer.indexOf('.', first + 1) > first;
  }

  /** Verifies; empty (and one DEBUG line saying why) when the token is refused. */
  public Optional<PipelineIdentity> authenticate(String token) {
    try {
      PipelineIdentity id = verify(token);
      log.debug(
          "ID token accepted: {} (issuer {}, subject {})",
          id.identity(),
          id.issuer(),
          id.subject());
      return Optional.of(id);
    } catch (Refused e) {
      log.debug("ID token refused: {}", e.getMessage());
      return Optional.empty();
    }
  }

  /** Verifies {@code token}, or says why not. */
  public PipelineIdentity verify(String token) throws Refused {
    if (token == null || token.length() > MAX_TOKEN_CHARS) {
      throw new Refused("not a JWT (empty or longer than 16 KiB)");
    }
    JWT jwt;
    try {
      jwt = JWTParser.parse(token);
    } catch (ParseException e) {
      throw new Refused("not a JWT: " + e.getMessage());
    }
    if (!(jwt instanceof SignedJWT signed)) {
      throw new Refused(
          "unsigned or encrypted token (alg "
              + jwt.getHeader().getAlgorithm()
              + "): only RS256 and ES256 signatures are accepted");
    }
    JWSAlgorithm alg = signed.getHeader().getAlgorithm();
    if (!ALGORITHMS.contains(alg)) {
      throw new Refused("algorithm " + alg + " is not allowed: only RS256 and ES256 are accepted");
    }
    JWTClaimsSet unverified;
    try {
      unverified = signed.getJWTClaimsSet();
    } catch (ParseException e) {
      throw new Refused("the token's claims are not a JSON object");
    }
    String iss = unverified.getIssuer();
    if (iss == null) {
      throw new Refused("the token has no iss claim");
    }
    List<TrustedIssuer> trusts = store.transact(tx -> tx.trust().byIssuer(iss));
    if (trusts.isEmpty()) {
      throw new Refused("unknown issuer " + iss + " (no trusted issuer has this URL)");
    }
    String kid = signed.getHeader().getKeyID();
    List<JWK> candidates;
    try {
      candidates = keys.keys(iss, kid);
    } catch (IssuerKeys.FetchFailed e) {
      throw new Refused("cannot get the signing keys of " + iss + ": " + e.getMessage());
    }
    if (candidates.isEmpty()) {
      throw new Refused(
          kid == null
              ? "issuer " + iss + " publishes no keys"
              : "unknown kid " + kid + " (not in the JWKS of " + iss + ", even after a refetch)");
    }
    if (!verifiedByAny(signed, alg, candidates)) {
      throw new Refused(
          "bad signature (no key of "
              + iss
              + (kid == null ? "" : " with kid " + kid)
              + " verifies it)");
    }
    JWTClaimsSet claims = unverified;
    Instant now = clock.instant();
    Date exp = claims.getExpirationTime();
    if (exp == null) {
      throw new Refused("the token has no exp claim");
    }
    if (now.isAfter(exp.toInstant().plus(SKEW))) {
      throw new Refused("expired at " + exp.toInstant() + " (now " + now + ")");
    }
    Date nbf = claims.getNotBeforeTime();
    if (nbf != null && now.plus(SKEW).isBefore(nbf.toInstant())) {
      throw new Refused("not valid before " + nbf.toInstant() + " (now " + now + ")");
    }
    String sub = claims.getSubject();
    if (sub == null || sub.isBlank()) {
      throw new Refused("the token has no sub claim");
    }
    List<String> aud = claims.getAudience() == null ? List.of() : claims.getAudience();
    List<String> reasons = new ArrayList<>();
    for (TrustedIssuer t : trusts) {
      Optional<PipelineIdentity> id = match(t, sub, aud, claims, reasons);
      if (id.isPresent()) {
        return id.get();
      }
    }
    throw new Refused(String.join("; ", reasons));
  }

  private Optional<PipelineIdentity> match(
      TrustedIssuer t, String sub, List<String> aud, JWTClaimsSet claims, List<String> reasons) {
    if (aud.stream().noneMatch(t.audiences()::contains)) {
      reasons.add(
          "wrong audience "
              + aud
              + " (trusted issuer "
              + t.name()
              + " accepts "
              + t.audiences()
              + ")");
      return Optional.empty();
    }
    if (t.subjectPrefix() != null && !sub.startsWith(t.subjectPrefix())) {
      reasons.add(
          "subject "
              + sub
              + " does not start with "
              + t.subjectPrefix()
              + " (trust "
              + t.name()
              + ")");
      return Optional.empty();
    }
    if (t.subjectPattern() != null && !IdentityPattern.glob(t.subjectPattern()).matches(sub)) {
      reasons.add(
          "subject " + sub + " does not match " + t.subjectPattern() + " (trust " + t.name() + ")");
      return Optional.empty();
    }
    TrustPreset preset = TrustPreset.fromWire(t.preset()).orElse(TrustPreset.GENERIC);
    Map<String, Object> all = claims.getClaims();
    StringBuilder why = new StringBuilder();
    Optional<String> mapped = preset.map(sub, all, why);
    if (mapped.isEmpty()) {
      reasons.add(why + " (trust " + t.name() + ")");
      return Optional.empty();
    }
    Map<String, Object> recorded = new LinkedHashMap<>();
    List<String> names = new ArrayList<>(preset.recordedClaims());
    names.addAll(t.claims());
    names.add("jti");
    for (String n : names) {
      Object v = all.get(n);
      if (v instanceof String || v instanceof Number || v instanceof Boolean) {
        String s = String.valueOf(v);
        recorded.put(n, s.length() > MAX_CLAIM_CHARS ? s.substring(0, MAX_CLAIM_CHARS) + "…" : v);
      }
    }
    return Optional.of(
        new PipelineIdentity(t.name(), t.issuer(), sub, t.name() + ":" + mapped.get(), recorded));
  }

  private static boolean verifiedByAny(SignedJWT jwt, JWSAlgorithm alg, List<JWK> keys) {
    for (JWK k : keys) {
      if (k.getKeyUse() != null && !KeyUse.SIGNATURE.equals(k.getKeyUse())) {
        continue;
      }
      if (k.getAlgorithm() != null && !alg.equals(k.getAlgorithm())) {
        continue;
      }
      try {
        JWSVerifier verifier;
        if (alg.equals(JWSAlgorithm.RS256) && k instanceof RSAKey rsa) {
          verifier = new RSASSAVerifier(rsa.toRSAPublicKey());
        } else if (alg.equals(JWSAlgorithm.ES256)
            && k instanceof ECKey ec
            && Curve.P_256.equals(ec.getCurve())) {
          verifier = new ECDSAVerifier(ec.toECPublicKey());
        } else {
          continue;
        }
        if (jwt.verify(verifier)) {
          return true;
        }
      } catch (JOSEException | IllegalStateException e) {
        // this key cannot verify it; try the next
      }
    }
    return false;
  }
}
