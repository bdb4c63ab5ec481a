-- Annotation jobs belong to the person who submitted them (owner and visibility).
SELECT app.apply_tenant_policies('annotation_jobs', true);
