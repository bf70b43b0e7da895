-- Agent jobs: a heartbeat extends the claims of its agent's running jobs (WHERE agent_id = ? AND
-- state = 'running'); without an index that read every job row kept in the last hour (finished
-- jobs stay an hour: 720,000 rows at 200 jobs/s) every 10 s per agent. One SQL for H2 and
-- PostgreSQL. (Claims use agent_jobs_pool (pool, state, created_at) of V7, one range per state.)
CREATE INDEX agent_jobs_agent ON agent_jobs (agent_id, state);
