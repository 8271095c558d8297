-- The language a donor gave on and a subscriber subscribed in (`kk`, `ru`, `en`): their receipt,
-- refund notice, confirmation and news mails are written in it. Empty for rows made before (and
-- for gifts staff record), whose mail keeps the campaign's language.
ALTER TABLE pledges ADD COLUMN locale TEXT CHECK (locale IN ('kk', 'ru', 'en'));
ALTER TABLE subscribers ADD COLUMN locale TEXT CHECK (locale IN ('kk', 'ru', 'en'));
