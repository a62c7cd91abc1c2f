-- The models a tenant may use: comma-separated names; empty: inherit (an organization: every registered model).
ALTER TABLE tenant ADD COLUMN models TEXT NOT NULL DEFAULT '';
