-- The tenants that came from the config file (mirrored by serve): one that leaves the config is deleted
-- on the next start or reload; tenants created through the CLI or the admin API are never listed here.
CREATE TABLE config_tenant (
    tenant_id TEXT PRIMARY KEY
);
