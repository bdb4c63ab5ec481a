-- Conversations and their messages are personal: only their owner reads or writes them, in
-- their tenant (an administrator's tenant-wide data scope does not widen this). Usage and the
-- selected model follow the tenant; AI models carry an owner and a visibility.
DO $$
DECLARE
    target text;
    policy record;
BEGIN
    FOREACH target IN ARRAY ARRAY['chat_conversations', 'chat_messages'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', target);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', target);
        FOR policy IN SELECT polname FROM pg_policy WHERE polrelid = target::regclass LOOP
            EXECUTE format('DROP POLICY %I ON %I', policy.polname, target);
        END LOOP;
        EXECUTE format(
            'CREATE POLICY owner_only ON %I USING (app.is_platform_scope() OR (tenant_id = (SELECT app.current_tenant_id()) AND owner_id = (SELECT app.current_user_id()))) WITH CHECK (app.is_platform_scope() OR (tenant_id = (SELECT app.current_tenant_id()) AND owner_id = (SELECT app.current_user_id())))',
            target);
    END LOOP;
END
$$;

SELECT app.apply_tenant_policies('model_usage');
SELECT app.apply_tenant_policies('chat_tenant_models');
SELECT app.apply_tenant_policies('ai_models', true);
