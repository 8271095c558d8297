-- The provider that made an online pledge's checkout: the configured provider serves new
-- pledges, while refunds and notifications of a pledge go to the provider that made it, so that
-- a foundation can switch providers without orphaning pending pledges.
ALTER TABLE pledges ADD COLUMN provider TEXT
    CHECK (provider IN ('sandbox', 'stripe', 'tiptoppay'));

-- Online pledges made before this column: the sandbox's sessions are `cs_sandbox_...`; every
-- other checkout was Stripe's, the only real provider then.
UPDATE pledges SET provider = CASE
        WHEN provider_session_id LIKE 'cs\_sandbox\_%' ESCAPE '\' THEN 'sandbox'
        ELSE 'stripe'
    END
    WHERE method = 'online';
