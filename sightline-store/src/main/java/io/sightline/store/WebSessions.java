package io.sightline.store;

import io.sightline.core.SecretValue;
import java.time.Instant;
import java.util.Optional;

/**
 * Web UI sessions: random (256 bits), prefixed {@code sls_}, held only by the browser's cookie and
 * stored only as a hash; each is bound to the API token it was signed in with and expires.
 */
public interface WebSessions {

  /** A session's stored facts; never the session id itself. */
  record WebSession(String id, String tokenId, Instant createdAt, Instant expiresAt) {}

  /** The answer to a create: the session value exists only here, once (for the cookie). */
  record CreatedSession(WebSession session, SecretValue value) {}

  /**
   * Starts a session for the API token {@code tokenId}, ending at {@code expiresAt}; also removes
   * sessions that expired before now.
   */
  CreatedSession create(String tokenId, Instant expiresAt);

  /** The unexpired session whose hash matches {@code presented}; empty if unknown or expired. */
  Optional<WebSession> find(String presented, Instant now);

  /** Ends the session {@code presented}; false when there was none. */
  boolean end(String presented);
}
