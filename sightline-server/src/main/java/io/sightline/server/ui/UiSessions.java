package io.sightline.server.ui;

import io.javalin.http.Context;
import io.sightline.core.AuditEvent;
import io.sightline.core.Principal;
import io.sightline.core.SightlineException;
import io.sightline.server.http.RequestIds;
import io.sightline.store.ApiTokens.ApiToken;
import io.sightline.store.Store;
import io.sightline.store.WebSessions;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Web UI sign-in: an API token is exchanged for a session kept in the store (only its hash; every
 * replica sees it), carried by an HttpOnly, SameSite=Strict cookie (Secure under TLS). The
 * session's principal and role are its API token's, read again on every request, so revoking or
 * expiring the token ends the session. Every form carries a CSRF token derived from the session
 * (HMAC-SHA256 keyed with the session value, which only the browser's cookie holds); the sign-in
 * form, before any session exists, is protected by a double-submitted random cookie.
 */
final class UiSessions {
  private static final Logger log = LoggerFactory.getLogger(UiSessions.class);
  static final String COOKIE = "sightline_session";
  static final String SIGN_IN_COOKIE = "sightline_signin";
  static final String CSRF_FIELD = "csrf";

  /** How long a session lasts at most (never past its API token's expiry). */
  static final Duration SESSION_TTL = Duration.ofHours(8);

  private static final SecureRandom RANDOM = new SecureRandom();

  /** The signed-in caller of one request. */
  record Session(Principal principal, String tokenId, String csrf, Instant expiresAt) {}

  private final Store store;
  private final Clock clock;
  private final boolean secure;

  /**
   * @param secure whether cookies get {@code Secure} (served over TLS, or behind an https public
   *     URL)
   */
  UiSessions(Store store, Clock clock, boolean secure) {
    this.store = store;
    this.clock = clock;
    this.secure = secure;
  }

  /** The session of this request, when its cookie names one whose token is still active. */
  Optional<Session> current(Context ctx) {
    String value = ctx.cookie(COOKIE);
    if (value == null || value.isBlank()) {
      return Optional.empty();
    }
    Instant now = clock.instant();
    return store.transact(
        tx -> {
          Optional<WebSessions.WebSession> s = tx.webSessions().find(value, now);
          if (s.isEmpty()) {
            return Optional.empty();
          }
          Optional<ApiToken> t = tx.tokens().find(s.get().tokenId()).filter(x -> x.isActive(now));
          return t.map(
              token ->
                  new Session(
                      new Principal(token.name(), token.groups(), token.role()),
                      token.id(),
                      csrfOf(value),
                      s.get().expiresAt()));
        });
  }

  /**
   * Signs in with {@code presentedToken}: a new session (audited as {@code ui.signin}) and its
   * cookie; an earlier session of this browser ends. Answers who signed in.
   *
   * @throws SightlineException 401 (vague on purpose) when the token is not an active API token
   */
  Principal signIn(Context ctx, String presentedToken) {
    Instant now = clock.instant();
    String previous = ctx.cookie(COOKIE);
    Principal[] who = new Principal[1];
    String value =
        store.transact(
            tx -> {
              Optional<ApiToken> token =
                  presentedToken == null
                      ? Optional.empty()
                      : tx.tokens().authenticate(presentedToken.strip(), now);
              if (token.isEmpty()) {
                log.debug("web sign-in refused: no active API token matches");
                throw SightlineException.unauthorized(
                    "that API token is not valid (unknown, expired or revoked): paste another, or"
                        + " ask an admin for one (sightline token create)");
              }
              ApiToken t = token.get();
              who[0] = new Principal(t.name(), t.groups(), t.role());
              if (previous != null) {
                tx.webSessions().end(previous); // a sign-in never keeps an earlier session id
              }
              Instant ends = now.plus(SESSION_TTL);
              if (t.expiresAt().isBefore(ends)) {
                ends = t.expiresAt();
              }
              WebSessions.CreatedSession created = tx.webSessions().create(t.id(), ends);
              Map<String, Object> d = new LinkedHashMap<>();
              d.put("session", created.session().id());
              d.put("expiresAt", created.session().expiresAt().toString());
              tx.audit()
                  .append(
                      new AuditEvent(
                          "ui.signin",
                          t.name(),
                          "token/" + t.id(),
                          "success",
                          RequestIds.current(ctx),
                          d));
              return created.value().reveal();
            });
    long maxAge = Math.max(1, SESSION_TTL.toSeconds());
    setCookie(ctx, COOKIE, value, maxAge);
    setCookie(ctx, SIGN_IN_COOKIE, "", 0);
    return who[0];
  }

  /** Ends this request's session (audited as {@code ui.signout}) and clears its cookie. */
  void signOut(Context ctx, Session session) {
    String value = ctx.cookie(COOKIE);
    store.transact(
        tx -> {
          if (tx.webSessions().end(value)) {
            tx.audit()
                .append(
                    new AuditEvent(
                        "ui.signout",
                        session.principal().name(),
                        "token/" + session.tokenId(),
                        "success",
                        RequestIds.current(ctx),
                        Map.of()));
          }
          return null;
        });
    setCookie(ctx, COOKIE, "", 0);
  }

  /**
   * The sign-in form's CSRF value: the random value of the sign-in cookie (set now when absent).
   */
  String signInCsrf(Context ctx) {
    String v = ctx.cookie(SIGN_IN_COOKIE);
    if (v == null || v.length() < 32 || v.length() > 64) {
      v = random();
      setCookie(ctx, SIGN_IN_COOKIE, v, 3600);
    }
    return v;
  }

  /** Whether a posted sign-in form carries the value of its own sign-in cookie. */
  static boolean signInCsrfMatches(Context ctx) {
    String cookie = ctx.cookie(SIGN_IN_COOKIE);
    String field = ctx.formParam(CSRF_FIELD);
    return cookie != null && cookie.length() >= 32 && equal(cookie, field);
  }

  /** Whether a posted form carries this session's CSRF token. */
  static boolean csrfMatches(Context ctx, Session s) {
    String field = ctx.formParam(CSRF_FIELD);
    if (field == null) {
      field = ctx.header("X-CSRF-Token");
    }
    return equal(s.csrf(), field);
  }

  static String csrfOf(String sessionValue) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(sessionValue.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return Base64.getUrlEncoder()
          .withoutPadding()
          .encodeToString(mac.doFinal("sightline-ui-csrf".getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static boolean equal(String a, String b) {
    return a != null
        && b != null
        && MessageDigest.isEqual(
            a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }

  private static String random() {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  private void setCookie(Context ctx, String name, String value, long maxAgeSeconds) {
    ctx.res()
        .addHeader(
            "Set-Cookie",
            name
                + "="
                + value
                + "; Path=/; Max-Age="
                + maxAgeSeconds
                + "; HttpOnly; SameSite=Strict"
                + (secure ? "; Secure" : ""));
  }
}
