-- Agents (issue 9): pools, one-time registration tokens, registered agents and their jobs.
-- One SQL for H2 2.x and PostgreSQL 14+. Nothing secret is stored in clear: registration tokens
-- as SHA-256 only, agents by their public key, job payloads sealed under the master key (envelope
-- encryption) and job results as JWE to a per-claim key whose private half is sealed too.

CREATE TABLE agent_pools (
  name VARCHAR(63) PRIMARY KEY,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL,
  created_by VARCHAR(200) NOT NULL
);

CREATE TABLE agent_registration_tokens (
  id VARCHAR(36) PRIMARY KEY,
  pool VARCHAR(63) NOT NULL REFERENCES agent_pools (name) ON DELETE CASCADE,
  token_hash VARCHAR(64) NOT NULL UNIQUE,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL,
  created_by VARCHAR(200) NOT NULL,
  expires_at TIMESTAMP WITH TIME ZONE NOT NULL,
  used_at TIMESTAMP WITH TIME ZONE,
  used_by VARCHAR(36)
);

CREATE TABLE agents (
  id VARCHAR(36) PRIMARY KEY,
  name VARCHAR(63) NOT NULL,
  pool VARCHAR(63) NOT NULL REFERENCES agent_pools (name) ON DELETE CASCADE,
  -- the agent's public key as a JWK (EC P-256); the private key never leaves the agent host
  public_key VARCHAR(4000) NOT NULL,
  enabled BOOLEAN NOT NULL,
  registered_at TIMESTAMP WITH TIME ZONE NOT NULL,
  last_seen_at TIMESTAMP WITH TIME ZONE NOT NULL,
  version VARCHAR(100)
);
CREATE INDEX agents_pool ON agents (pool, last_seen_at);

-- Work for a pool. state: queued -> running (claimed by agent_id until claim_until) -> done|failed;
-- a running job whose claim lapsed (its agent died) is claimed again by another agent.
CREATE TABLE agent_jobs (
  id VARCHAR(36) PRIMARY KEY,
  pool VARCHAR(63) NOT NULL,
  kind VARCHAR(20) NOT NULL,
  idem_key VARCHAR(200),
  state VARCHAR(10) NOT NULL,
  attempts INT NOT NULL,
  max_attempts INT NOT NULL,
  agent_id VARCHAR(36),
  claim_until TIMESTAMP WITH TIME ZONE,
  sealed_payload BYTEA NOT NULL,
  sealed_result_key BYTEA,
  result BYTEA,
  error VARCHAR(2000),
  created_at TIMESTAMP WITH TIME ZONE NOT NULL,
  updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
  expires_at TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX agent_jobs_pool ON agent_jobs (pool, state, created_at);
CREATE INDEX agent_jobs_idem ON agent_jobs (pool, kind, idem_key);
