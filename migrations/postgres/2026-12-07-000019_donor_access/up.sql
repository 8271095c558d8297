-- A donor's own page (issue 25): a donor signs in by a link mailed to the address they gave
-- with. The link's token and the session's are stored only as SHA-256 hashes.
-- One address has at most one live link: asking again replaces it; a link is used once.
CREATE TABLE donor_links (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX donor_links_email ON donor_links (email);
CREATE TABLE donor_sessions (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
-- A donor's monthly gifts are found by their address (their gifts by pledges_email_created).
CREATE INDEX subscriptions_email ON subscriptions (email);
