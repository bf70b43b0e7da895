-- Trusted OIDC issuers and connections' pipeline permissions (issue 6, "Who may ask").
-- One SQL for H2 2.x and PostgreSQL 14+. Nothing here is secret: issuers are public URLs, and
-- tokens are never stored (leases keep the verified pipeline identity, not the ID token).

CREATE TABLE trusted_issuers (
  id VARCHAR(36) PRIMARY KEY,
  name VARCHAR(63) NOT NULL UNIQUE,
  preset VARCHAR(20) NOT NULL,
  issuer VARCHAR(2048) NOT NULL,
  -- JSON array of accepted audiences
  audiences VARCHAR(8192) NOT NULL,
  subject_prefix VARCHAR(1024),
  subject_pattern VARCHAR(1024),
  -- JSON array of the claims recorded with each lease (besides the preset's own)
  claims VARCHAR(8192) NOT NULL,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL,
  created_by VARCHAR(200) NOT NULL
);
CREATE INDEX trusted_issuers_issuer ON trusted_issuers (issuer);

-- No row: no pipeline may use the connection (API tokens with role user still may).
CREATE TABLE connection_pipeline_permissions (
  connection_id VARCHAR(36) PRIMARY KEY REFERENCES connections (id) ON DELETE CASCADE,
  all_pipelines BOOLEAN NOT NULL,
  -- JSON array of identity patterns
  patterns VARCHAR(65536) NOT NULL,
  updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
  updated_by VARCHAR(200) NOT NULL
);
