-- Keys are listed per owner, newest first: let the index deliver that order.
CREATE INDEX api_keys_owner_created_idx ON api_keys (tenant_id, user_id, created_at DESC, id DESC);
DROP INDEX api_keys_user_idx;
