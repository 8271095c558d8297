-- "Join the mentors' team": expressions of interest from the campaign page (issue 11). Personal
-- data: read by staff only (GET /api/v1/staff/volunteers), never by a public route.
-- locale: the language of the page the application came from (kk, ru, en), so that staff answer
-- in it; null when the client did not say. status: new, contacted, accepted, declined.
CREATE TABLE volunteers (
    id TEXT PRIMARY KEY,
    campaign_id TEXT NOT NULL REFERENCES campaigns (id),
    name TEXT NOT NULL,
    city TEXT NOT NULL,
    contact TEXT NOT NULL,
    about TEXT NOT NULL DEFAULT '',
    age_confirmed BOOLEAN NOT NULL CONSTRAINT volunteers_age_confirmed_true CHECK (age_confirmed),
    locale TEXT CONSTRAINT volunteers_locale_known CHECK (locale IS NULL OR locale IN ('kk', 'ru', 'en')),
    status TEXT NOT NULL
        CONSTRAINT volunteers_status_known CHECK (status IN ('new', 'contacted', 'accepted', 'declined')),
    staff_note TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- The staff list, newest first, continued after a cursor with (created_at, id) < (..): each
-- index is (filter, time, id), so that a page of any depth is one range of it (as migration
-- 000007 does for pledges): no filter, ?status=, ?campaign=.
CREATE INDEX volunteers_created ON volunteers (created_at, id);
CREATE INDEX volunteers_status_created ON volunteers (status, created_at, id);
CREATE INDEX volunteers_campaign_created ON volunteers (campaign_id, created_at, id);
