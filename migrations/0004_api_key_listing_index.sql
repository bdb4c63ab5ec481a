-- Keys are listed per owner, newest first: let the index deliver that order.
CREATE INDEX api_keys_owner_created_idx ON api_keys (tenant_id, user_id, created_at DESC, id DESC);
DROP INDEX api_keys_user_idx;

-- tenant_id and user_id are strongly correlated (a user's keys live in one tenant); without
-- this the planner guesses a handful of rows and sorts instead of reading the index in order.
CREATE STATISTICS api_keys_owner_stats (dependencies) ON tenant_id, user_id FROM api_keys;
