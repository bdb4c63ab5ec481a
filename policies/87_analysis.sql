-- Channel analysis: accounts, their snapshots, videos and monitoring-task links are the
-- tenant's shared working data (no per-person visibility); they follow the tenant.
SELECT app.apply_tenant_policies('analysis_accounts');
SELECT app.apply_tenant_policies('analysis_account_snapshots');
SELECT app.apply_tenant_policies('analysis_videos');
SELECT app.apply_tenant_policies('analysis_video_snapshots');
SELECT app.apply_tenant_policies('analysis_tasks');
