-- The media library: assets and sources carry an owner and a visibility (public assets are
-- readable by every tenant and anonymously); artifacts and blob counts follow the tenant.
SELECT app.apply_tenant_policies('media_sources', true);
SELECT app.apply_tenant_policies('media_assets', true);
SELECT app.apply_tenant_policies('artifacts');
SELECT app.apply_tenant_policies('stored_blobs');
