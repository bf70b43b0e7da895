package io.sightline.store.internal;

import io.sightline.core.SecretValue;
import io.sightline.store.WebSessions;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;
import org.jdbi.v3.core.Handle;

/** Web UI sessions; only the SHA-256 (hex) of a session value is stored, and looked up by it. */
final class JdbiWebSessions implements WebSessions {
  static final String PREFIX = "sls_";
  private static final int MAX_PRESENTED = 100;

  private final Handle h;
  private final Clock clock;

  JdbiWebSessions(Handle h, Clock clock) {
    this.h = h;
    this.clock = clock;
  }

  @Override
  public CreatedSession create(String tokenId, Instant expiresAt) {
    Instant now = Sql.millis(clock.instant());
    h.createUpdate("DELETE FROM web_sessions WHERE expires_at <= :now")
        .bind("now", Sql.instant(now))
        .execute();
    String value =
        PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(Crypto.randomBytes(32));
    WebSession s = new WebSession(Crypto.randomId(8), tokenId, now, Sql.millis(expiresAt));
    h.createUpdate(
            "INSERT INTO web_sessions (id, session_hash, token_id, created_at, expires_at)"
                + " VALUES (:id, :hash, :token, :created, :expires)")
        .bind("id", s.id())
        .bind("hash", Crypto.sha256Hex(value))
        .bind("token", tokenId)
        .bind("created", Sql.instant(s.createdAt()))
        .bind("expires", Sql.instant(s.expiresAt()))
        .execute();
    return new CreatedSession(s, SecretValue.of(value));
  }

  @Override
  public Optional<WebSession> find(String presented, Instant now) {
    if (!wellFormed(presented)) {
      return Optional.empty();
    }
    return h.createQuery("SELECT * FROM web_sessions WHERE session_hash = :hash")
        .bind("hash", Crypto.sha256Hex(presented))
        .map(
            (rs, ctx) ->
                new WebSession(
                    rs.getString("id"),
                    rs.getString("token_id"),
                    Sql.instant(rs, "created_at"),
                    Sql.instant(rs, "expires_at")))
        .findOne()
        .filter(s -> now.isBefore(s.expiresAt()));
  }

  @Override
  public boolean end(String presented) {
    if (!wellFormed(presented)) {
      return false;
    }
    return h.createUpdate("DELETE FROM web_sessions WHERE session_hash = :hash")
            .bind("hash", Crypto.sha256Hex(presented))
            .execute()
        > 0;
  }

  private static boolean wellFormed(String presented) {
    return presented != null && presented.startsWith(PREFIX) && presented.length() <= MAX_PRESENTED;
  }
}
