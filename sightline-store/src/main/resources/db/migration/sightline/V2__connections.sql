-- Connections (issue 4). One SQL for H2 2.x and PostgreSQL 14+.
-- Secret field values are never stored in clear: each is sealed (data_keys) with the context
-- connection/<id>/<field>, so a sealed value copied to another row or field does not open.

CREATE TABLE connections (
  id VARCHAR(36) PRIMARY KEY,
  name VARCHAR(63) NOT NULL UNIQUE,
  kind VARCHAR(40) NOT NULL,
  authorization_type VARCHAR(40) NOT NULL,
  description VARCHAR(1000),
  fields VARCHAR(262144) NOT NULL,
  server_url VARCHAR(2048),
  verified BOOLEAN NOT NULL,
  verified_at TIMESTAMP WITH TIME ZONE,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL,
  updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
  created_by VARCHAR(200) NOT NULL
);

CREATE TABLE connection_secrets (
  connection_id VARCHAR(36) NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
  field VARCHAR(100) NOT NULL,
  sealed BYTEA NOT NULL,
  PRIMARY KEY (connection_id, field)
);

CREATE TABLE connection_verifications (
  id VARCHAR(32) PRIMARY KEY,
  connection_id VARCHAR(36) NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
  verified_at TIMESTAMP WITH TIME ZONE NOT NULL,
  seq BIGINT NOT NULL,
  ok BOOLEAN NOT NULL,
  diagnosis VARCHAR(100),
  summary VARCHAR(65536) NOT NULL
);
CREATE INDEX connection_verifications_conn ON connection_verifications (connection_id, seq);

CREATE TABLE connection_provisioning (
  connection_id VARCHAR(36) PRIMARY KEY REFERENCES connections (id) ON DELETE CASCADE,
  home_namespace VARCHAR(63) NOT NULL,
  deployers VARCHAR(65536) NOT NULL,
  details VARCHAR(262144) NOT NULL,
  minter_token BYTEA,
  provisioned_at TIMESTAMP WITH TIME ZONE NOT NULL
);
