DROP INDEX pledges_subscription;
ALTER TABLE pledges DROP COLUMN subscription_id;
DROP TABLE subscriptions;
