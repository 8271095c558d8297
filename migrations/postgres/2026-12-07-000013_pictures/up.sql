-- Files kept in the database, so that several instances share them with no shared disk,
-- addressed by the SHA-256 of their bytes (the same bytes are kept once; a URL made of the hash
-- never changes its answer, so it is cached a year).
CREATE TABLE stored_files (
    hash TEXT PRIMARY KEY,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    bytes BYTEA NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- Pictures staff upload: a campaign's cover (one) and gallery, the foundation's logo (no
-- campaign). Alt text per language. What is served are the variants.
CREATE TABLE pictures (
    id TEXT PRIMARY KEY,
    campaign_id TEXT REFERENCES campaigns (id),
    role TEXT NOT NULL CHECK (role IN ('cover', 'gallery', 'logo')),
    position INTEGER NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    alt_kk TEXT NOT NULL DEFAULT '',
    alt_ru TEXT NOT NULL DEFAULT '',
    alt_en TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    created_by TEXT
);
CREATE INDEX pictures_campaign ON pictures (campaign_id, role, position);

CREATE TABLE picture_variants (
    picture_id TEXT NOT NULL REFERENCES pictures (id),
    name TEXT NOT NULL,
    format TEXT NOT NULL CHECK (format IN ('webp', 'jpeg')),
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    file_hash TEXT NOT NULL REFERENCES stored_files (hash),
    PRIMARY KEY (picture_id, name, format)
);
CREATE INDEX picture_variants_file ON picture_variants (file_hash);
