-- Monthly gifts (issue 25): a subscription at the provider, one row here. Each charge the
-- provider makes is a pledge of its own (`pledges.subscription_id`), counted once by the
-- provider's payment id like any payment; the first pledge is the one the donor made on the form.
CREATE TABLE subscriptions (
    id TEXT PRIMARY KEY,
    campaign_id TEXT NOT NULL REFERENCES campaigns (id),
    first_pledge_id TEXT NOT NULL,
    amount BIGINT NOT NULL CHECK (amount > 0),
    currency TEXT NOT NULL,
    email TEXT NOT NULL,
    provider TEXT NOT NULL CHECK (provider IN ('sandbox', 'stripe', 'tiptoppay')),
    -- The provider's own id, once its checkout made the subscription.
    provider_subscription_id TEXT,
    status TEXT NOT NULL CHECK (status IN ('pending', 'active', 'past_due', 'cancelled', 'ended')),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    cancelled_at TIMESTAMP
);
CREATE UNIQUE INDEX subscriptions_provider_id ON subscriptions (provider, provider_subscription_id);
CREATE INDEX subscriptions_campaign_status ON subscriptions (campaign_id, status);
ALTER TABLE pledges ADD COLUMN subscription_id TEXT REFERENCES subscriptions (id);
CREATE INDEX pledges_subscription ON pledges (subscription_id);
