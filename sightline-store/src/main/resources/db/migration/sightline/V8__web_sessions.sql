-- Web UI sessions (issue 10). One SQL for H2 2.x and PostgreSQL 14+: replicas share sessions.
-- Only the SHA-256 of a session id is stored (the cookie value exists only in the browser), and a
-- session is bound to the API token it was signed in with: revoking or expiring the token ends it.

CREATE TABLE web_sessions (
  id VARCHAR(32) PRIMARY KEY,
  session_hash VARCHAR(64) NOT NULL UNIQUE,
  token_id VARCHAR(32) NOT NULL REFERENCES api_tokens (id) ON DELETE CASCADE,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL,
  expires_at TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX web_sessions_expires ON web_sessions (expires_at);
