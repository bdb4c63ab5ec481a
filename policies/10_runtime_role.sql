-- The runtime role: no BYPASSRLS, owns nothing, may only read and write rows through the
-- policies. Login roles used by `serve` are made members of it (see docs/database.md).
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'platform_runtime') THEN
        CREATE ROLE platform_runtime NOLOGIN NOBYPASSRLS NOSUPERUSER NOCREATEDB NOCREATEROLE;
    END IF;
END
$$;

GRANT USAGE ON SCHEMA public, app TO platform_runtime;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO platform_runtime;
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON schema_migrations FROM platform_runtime;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO platform_runtime;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA app TO platform_runtime;
REVOKE EXECUTE ON FUNCTION app.apply_tenant_policies(regclass, boolean) FROM PUBLIC, platform_runtime;
