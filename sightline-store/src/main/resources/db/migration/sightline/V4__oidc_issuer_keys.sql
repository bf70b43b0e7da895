-- The server's OIDC issuer signing keys (issue 5). One SQL for H2 2.x and PostgreSQL 14+.
-- The whole key set (private JWKs with their states) is one document, sealed with the context
-- oidc-issuer/keys. The single row exists from the start, so every change locks it first
-- (SELECT ... FOR UPDATE): replicas starting together never create two different first keys, and
-- two rotations never interleave.

CREATE TABLE oidc_issuer_keys (
  id INTEGER PRIMARY KEY,
  sealed BYTEA,
  updated_at TIMESTAMP WITH TIME ZONE
);
INSERT INTO oidc_issuer_keys (id, sealed, updated_at) VALUES (1, NULL, NULL);
