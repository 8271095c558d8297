-- Every verified provider event, once: the unique (provider, event_id) makes a second delivery a
-- no-op. outcome: counted, ignored, undecodable, flagged, ...; detail says why for staff.
CREATE TABLE webhook_events (
    id TEXT PRIMARY KEY,
    provider TEXT NOT NULL,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    payload TEXT NOT NULL,
    outcome TEXT NOT NULL,
    detail TEXT,
    pledge_id TEXT,
    received_at TIMESTAMP NOT NULL,
    UNIQUE (provider, event_id)
);
CREATE INDEX webhook_events_outcome ON webhook_events (outcome);
