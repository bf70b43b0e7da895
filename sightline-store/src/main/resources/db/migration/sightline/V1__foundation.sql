-- Sightline store, first schema. One SQL for H2 2.x and PostgreSQL 14+.
-- Timestamps are UTC instants (TIMESTAMP WITH TIME ZONE).

-- Which master key wraps this database's keys (one row, id = 1). Read BEFORE any migration or write
-- so that a wrong master key changes nothing; locked by rotation and by every seal.
CREATE TABLE keyring (
  id INTEGER PRIMARY KEY,
  master_key_id VARCHAR(32) NOT NULL,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL,
  rotated_at TIMESTAMP WITH TIME ZONE
);

-- Envelope encryption: one random AES-256 data key per sealed value, wrapped (AES-GCM) by the
-- master key. Sealed blobs elsewhere name their row here, so rotating the master key re-wraps this
-- table only and never needs to know which columns hold sealed values.
CREATE TABLE data_keys (
  id VARCHAR(32) PRIMARY KEY,
  master_key_id VARCHAR(32) NOT NULL,
  wrapped BYTEA NOT NULL,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL
);

-- The audit chain's HMAC key(s), wrapped by the master key; id = fingerprint of the key.
CREATE TABLE audit_keys (
  id VARCHAR(32) PRIMARY KEY,
  master_key_id VARCHAR(32) NOT NULL,
  wrapped BYTEA NOT NULL,
  active BOOLEAN NOT NULL,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL
);

-- The chain head (one row, id = 1): appends lock it (SELECT ... FOR UPDATE), so concurrent writers,
-- also on several replicas, append one after the other.
CREATE TABLE audit_head (
  id INTEGER PRIMARY KEY,
  seq BIGINT NOT NULL,
  link VARCHAR(64) NOT NULL
);
INSERT INTO audit_head (id, seq, link)
  VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE audit_log (
  seq BIGINT PRIMARY KEY,
  occurred_at TIMESTAMP WITH TIME ZONE NOT NULL,
  action VARCHAR(100) NOT NULL,
  actor VARCHAR(200) NOT NULL,
  target VARCHAR(400),
  outcome VARCHAR(20) NOT NULL,
  request_id VARCHAR(100),
  details VARCHAR(16384) NOT NULL,
  key_id VARCHAR(32) NOT NULL,
  link VARCHAR(64) NOT NULL
);
CREATE INDEX audit_log_action ON audit_log (action, seq);
CREATE INDEX audit_log_actor ON audit_log (actor, seq);
CREATE INDEX audit_log_target ON audit_log (target, seq);
CREATE INDEX audit_log_occurred_at ON audit_log (occurred_at);

-- Signed statements of the chain head (also written outside the database by the server).
CREATE TABLE audit_checkpoints (
  id VARCHAR(32) PRIMARY KEY,
  seq BIGINT NOT NULL,
  link VARCHAR(64) NOT NULL,
  checkpoint_at TIMESTAMP WITH TIME ZONE NOT NULL,
  key_id VARCHAR(32) NOT NULL,
  signature VARCHAR(64) NOT NULL
);
CREATE INDEX audit_checkpoints_seq ON audit_checkpoints (seq);

-- API tokens: only the SHA-256 of the token is stored.
CREATE TABLE api_tokens (
  id VARCHAR(32) PRIMARY KEY,
  token_hash VARCHAR(64) NOT NULL UNIQUE,
  name VARCHAR(200) NOT NULL,
  role VARCHAR(16) NOT NULL,
  group_names VARCHAR(4000) NOT NULL,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL,
  expires_at TIMESTAMP WITH TIME ZONE NOT NULL,
  revoked_at TIMESTAMP WITH TIME ZONE,
  created_by VARCHAR(200) NOT NULL
);
