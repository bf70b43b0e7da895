-- Environments (issue 8): named deployment targets holding Kubernetes resources, checks that gate
-- the minting of a credential, and deployment history. One SQL for H2 2.x and PostgreSQL 14+.
-- The one secret is a deployment's claim handle, stored only as its SHA-256.

CREATE TABLE environments (
  id VARCHAR(36) PRIMARY KEY,
  name VARCHAR(63) NOT NULL UNIQUE,
  description VARCHAR(2000),
  all_pipelines BOOLEAN NOT NULL,
  -- JSON array of identity patterns (as connection_pipeline_permissions)
  pipelines VARCHAR(65536) NOT NULL,
  -- JSON array of {"member","role"} grants
  roles VARCHAR(65536) NOT NULL,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL,
  created_by VARCHAR(200) NOT NULL,
  updated_at TIMESTAMP WITH TIME ZONE NOT NULL
);

CREATE TABLE environment_resources (
  environment_id VARCHAR(36) NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
  name VARCHAR(63) NOT NULL,
  -- JSON array of strings
  tags VARCHAR(4000) NOT NULL,
  -- the cluster-target object, as in leases
  target VARCHAR(4000) NOT NULL,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL,
  created_by VARCHAR(200) NOT NULL,
  PRIMARY KEY (environment_id, name)
);

-- Checks on an environment (scope 'environment') or on a connection (scope 'connection').
CREATE TABLE checks (
  id VARCHAR(36) PRIMARY KEY,
  scope VARCHAR(20) NOT NULL,
  scope_id VARCHAR(36) NOT NULL,
  type VARCHAR(30) NOT NULL,
  settings VARCHAR(16384) NOT NULL,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL,
  created_by VARCHAR(200) NOT NULL
);
CREATE INDEX checks_scope ON checks (scope, scope_id);

CREATE TABLE deployments (
  id VARCHAR(36) PRIMARY KEY,
  environment_id VARCHAR(36) NOT NULL,
  environment_name VARCHAR(63) NOT NULL,
  resource VARCHAR(63) NOT NULL,
  -- order of arrival within the environment (the exclusive lock's queue)
  seq BIGINT NOT NULL,
  state VARCHAR(20) NOT NULL,
  result VARCHAR(20),
  exit_code INTEGER,
  requester VARCHAR(200) NOT NULL,
  pipeline VARCHAR(1000),
  pipeline_identity VARCHAR(4000),
  task VARCHAR(16384) NOT NULL,
  target VARCHAR(4000) NOT NULL,
  ttl_seconds BIGINT,
  -- JSON: the checks this deployment goes through, with their state
  checks VARCHAR(65536) NOT NULL,
  -- JSON array of the principals who approved
  approvers VARCHAR(8192) NOT NULL,
  lease_id VARCHAR(47),
  failure VARCHAR(2000),
  claim_hash VARCHAR(64) NOT NULL UNIQUE,
  idem_principal VARCHAR(200),
  idem_key VARCHAR(200),
  request_hash VARCHAR(64),
  created_at TIMESTAMP WITH TIME ZONE NOT NULL,
  updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
  -- when the run last looked (with its claim handle): a waiting run that stopped looking is gone
  seen_at TIMESTAMP WITH TIME ZONE NOT NULL,
  started_at TIMESTAMP WITH TIME ZONE,
  finished_at TIMESTAMP WITH TIME ZONE,
  UNIQUE (environment_id, seq),
  UNIQUE (idem_principal, idem_key)
);
CREATE INDEX deployments_env ON deployments (environment_id, created_at);
CREATE INDEX deployments_state ON deployments (environment_id, state, seq);

CREATE TABLE approvals (
  id VARCHAR(36) PRIMARY KEY,
  deployment_id VARCHAR(36) NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
  environment_name VARCHAR(63) NOT NULL,
  check_id VARCHAR(36) NOT NULL,
  state VARCHAR(20) NOT NULL,
  -- JSON array: principal names and group:<name>
  approvers VARCHAR(8192) NOT NULL,
  min_approvers INTEGER NOT NULL,
  requester_cannot_approve BOOLEAN NOT NULL,
  instructions VARCHAR(4000),
  requester VARCHAR(200) NOT NULL,
  timeout_at TIMESTAMP WITH TIME ZONE NOT NULL,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL,
  decided_at TIMESTAMP WITH TIME ZONE
);
CREATE INDEX approvals_state ON approvals (state, timeout_at);
CREATE INDEX approvals_deployment ON approvals (deployment_id);

CREATE TABLE approval_decisions (
  approval_id VARCHAR(36) NOT NULL REFERENCES approvals (id) ON DELETE CASCADE,
  principal VARCHAR(200) NOT NULL,
  decision VARCHAR(10) NOT NULL,
  comment VARCHAR(4000),
  decided_at TIMESTAMP WITH TIME ZONE NOT NULL,
  PRIMARY KEY (approval_id, principal)
);
