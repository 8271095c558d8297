-- The foundation's identity (issue 23): one row, imported once from `[foundation]`, edited by
-- admins. Shown in every page's header and footer, on /offer and /privacy, and on receipts.
CREATE TABLE foundation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    name_kk TEXT NOT NULL DEFAULT '',
    name_ru TEXT NOT NULL DEFAULT '',
    name_en TEXT NOT NULL DEFAULT '',
    legal_form TEXT NOT NULL DEFAULT '',
    registration_number TEXT NOT NULL DEFAULT '',
    address TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '',
    website TEXT NOT NULL DEFAULT '',
    bank_details TEXT NOT NULL DEFAULT '',
    offer_kk TEXT NOT NULL DEFAULT '',
    offer_ru TEXT NOT NULL DEFAULT '',
    offer_en TEXT NOT NULL DEFAULT '',
    privacy_kk TEXT NOT NULL DEFAULT '',
    privacy_ru TEXT NOT NULL DEFAULT '',
    privacy_en TEXT NOT NULL DEFAULT '',
    updated_at TIMESTAMP NOT NULL
);
