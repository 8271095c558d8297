-- Secrets this installation makes for itself on first start (e.g. the sandbox's webhook
-- signing secret), so that none ships in a configuration file.
CREATE TABLE installation_secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
