-- Leases (issue 6). One SQL for H2 2.x and PostgreSQL 14+.
-- No token and no handle is stored in clear: the lease keeps their SHA-256 only. The one secret
-- kept is the answer to an Idempotency-Key (token and handle, sealed under lease/<id>/...), so a
-- retry gets the same lease back; it is cleared when the lease ends.

CREATE TABLE leases (
  id VARCHAR(47) PRIMARY KEY,
  connection_id VARCHAR(36) NOT NULL,
  connection_name VARCHAR(63) NOT NULL,
  credential VARCHAR(20) NOT NULL,
  state VARCHAR(12) NOT NULL,
  namespace VARCHAR(63),
  home_namespace VARCHAR(63),
  deployer VARCHAR(63),
  target VARCHAR(4000) NOT NULL,
  task VARCHAR(16384) NOT NULL,
  principal VARCHAR(200) NOT NULL,
  pipeline_identity VARCHAR(4000),
  ttl_seconds BIGINT NOT NULL,
  warnings VARCHAR(16384) NOT NULL,
  handle_hash VARCHAR(64) NOT NULL UNIQUE,
  token_sha256 VARCHAR(64),
  jti VARCHAR(200),
  failure VARCHAR(2000),
  created_at TIMESTAMP WITH TIME ZONE NOT NULL,
  updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
  expires_at TIMESTAMP WITH TIME ZONE NOT NULL,
  max_expires_at TIMESTAMP WITH TIME ZONE NOT NULL,
  revoked_at TIMESTAMP WITH TIME ZONE,
  revoked_by VARCHAR(200),
  -- true while a bound Secret sightline-lease-<id> may exist in the cluster
  secret_present BOOLEAN NOT NULL,
  -- the reaper's claim (several replicas: one takes a row at a time)
  reap_claim VARCHAR(32),
  reap_claim_until TIMESTAMP WITH TIME ZONE
);
CREATE INDEX leases_state ON leases (state, expires_at);
CREATE INDEX leases_secret ON leases (secret_present, expires_at);

-- Idempotency-Key -> lease, per caller. The primary key makes concurrent retries converge on one
-- lease: the second insert fails and that request waits for the first one's answer.
CREATE TABLE lease_idempotency (
  principal VARCHAR(200) NOT NULL,
  idem_key VARCHAR(200) NOT NULL,
  lease_id VARCHAR(47) NOT NULL,
  request_hash VARCHAR(64) NOT NULL,
  sealed_token BYTEA,
  sealed_handle BYTEA,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL,
  PRIMARY KEY (principal, idem_key)
);
CREATE INDEX lease_idempotency_lease ON lease_idempotency (lease_id);
