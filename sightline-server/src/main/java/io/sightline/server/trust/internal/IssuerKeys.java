package io.sightline.server.trust.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import io.sightline.kubernetes.EgressDeniedException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;

/**
 * The signing keys of trusted issuers: discovery ({@code
 * <issuer>/.well-known/openid-configuration}) then {@code jwks_uri}, both over HTTPS through the
 * egress-checked client, cached per issuer. Keys are refetched when older than {@link #MAX_AGE},
 * and when a token names an unknown {@code kid} — at most once per {@code minRefetch} per issuer,
 * so a stream of made-up kids cannot make the server hammer an issuer. A failed refetch keeps the
 * keys it had.
 */
public final class IssuerKeys {
  /** Keys older than this are refetched before use. */
  public static final Duration MAX_AGE = Duration.ofHours(1);

  private static final int MAX_DOCUMENT_BYTES = 512 * 1024;
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Why keys could not be had; the message names the issuer and the failure, never a token. */
  public static final class FetchFailed extends Exception {
    private static final long serialVersionUID = 1L;

    FetchFailed(String message) {
      super(message);
    }
  }

  private record Cached(List<JWK> keys, Instant fetchedAt) {}

  private final OkHttpClient http;
  private final Clock clock;
  private final Duration minRefetch;
  private final Map<String, Cached> cache = new ConcurrentHashMap<>();
  private final Map<String, Instant> lastForced = new ConcurrentHashMap<>();
  private final Map<String, Object> locks = new ConcurrentHashMap<>();
  private final AtomicLong fetches = new AtomicLong();

  public IssuerKeys(OkHttpClient http, Clock clock, Duration minRefetch) {
    this.http = http;
    this.clock = clock;
    this.minRefetch = minRefetch;
  }

  /** How many JWKS documents were fetched (tests check caching and rate limiting). */
  public long fetches() {
    return fetches.get();
  }

  /**
   * The issuer's keys with {@code kid} (all its keys when {@code kid} is null), refetching once
   * when none has that kid and the rate limit allows. Empty list: no such key.
   */
  public List<JWK> keys(String issuer, String kid) throws FetchFailed {
    synchronized (locks.computeIfAbsent(issuer, k -> new Object())) {
      Instant now = clock.instant();
      Cached c = cache.get(issuer);
      if (c == null || !now.isBefore(c.fetchedAt().plus(MAX_AGE))) {
        try {
          c = fetch(issuer);
        } catch (FetchFailed e) {
          if (c == null) {
            throw e;
          }
          // keep serving the keys we had; try again after minRefetch, not on every request
          c = new Cached(c.keys(), now.minus(MAX_AGE).plus(minRefetch));
          cache.put(issuer, c);
        }
      }
      List<JWK> found = select(c.keys(), kid);
      if (!found.isEmpty() || kid == null) {
        return found;
      }
      Instant forced = lastForced.get(issuer);
      if (forced != null && now.isBefore(forced.plus(minRefetch))) {
        return List.of();
      }
      lastForced.put(issuer, now);
      c = fetch(issuer);
      return select(c.keys(), kid);
    }
  }

  private static List<JWK> select(List<JWK> keys, String kid) {
    return kid == null ? keys : keys.stream().filter(k -> kid.equals(k.getKeyID())).toList();
  }

  private Cached fetch(String issuer) throws FetchFailed {
    String base = issuer.endsWith("/") ? issuer.substring(0, issuer.length() - 1) : issuer;
    JsonNode discovery = getJson(base + "/.well-known/openid-configuration", issuer);
    String declared = discovery.path("issuer").asText(null);
    if (!issuer.equals(declared)) {
      throw new FetchFailed(
          "the discovery document of "
              + issuer
              + " names issuer "
              + declared
              + ", not the trusted issuer URL");
    }
    String jwksUri = discovery.path("jwks_uri").asText(null);
    if (jwksUri == null || !jwksUri.startsWith("https://")) {
      throw new FetchFailed(
          "the discovery document of " + issuer + " has no https jwks_uri (" + jwksUri + ")");
    }
    JsonNode jwks = getJson(jwksUri, issuer);
    List<JWK> keys;
    try {
      keys = JWKSet.parse(jwks.toString()).getKeys().stream().filter(k -> !k.isPrivate()).toList();
    } catch (java.text.ParseException e) {
      throw new FetchFailed("the JWKS of " + issuer + " is not a JWK set: " + e.getMessage());
    }
    fetches.incrementAndGet();
    Cached c = new Cached(keys, clock.instant());
    cache.put(issuer, c);
    return c;
  }

  private JsonNode getJson(String url, String issuer) throws FetchFailed {
    URI uri;
    try {
      uri = URI.create(url);
    } catch (IllegalArgumentException e) {
      throw new FetchFailed("issuer " + issuer + ": " + url + " is not a URL");
    }
    Request request = new Request.Builder().url(uri.toString()).get().build();
    try (Response r = http.newCall(request).execute()) {
      if (r.code() != 200) {
        throw new FetchFailed("GET " + url + " answered HTTP " + r.code());
      }
      ResponseBody body = r.body();
      if (body == null) {
        throw new FetchFailed("GET " + url + " answered without a body");
      }
      byte[] bytes;
      try (InputStream in = body.byteStream()) {
        bytes = in.readNBytes(MAX_DOCUMENT_BYTES + 1);
      }
      if (bytes.length > MAX_DOCUMENT_BYTES) {
        throw new FetchFailed("GET " + url + " answered more than 512 KiB");
      }
      return JSON.readTree(bytes);
    } catch (EgressDeniedException e) {
      throw new FetchFailed("GET " + url + " refused by the egress policy: " + e.getMessage());
    } catch (IOException e) {
      Throwable cause = e;
      while (cause.getCause() != null && !(cause instanceof EgressDeniedException)) {
        cause = cause.getCause();
      }
      String what =
          cause instanceof EgressDeniedException
              ? "refused by the egress policy: " + cause.getMessage()
              : e.getClass().getSimpleName() + ": " + e.getMessage();
      throw new FetchFailed("GET " + url + " failed: " + what);
    }
  }
}
