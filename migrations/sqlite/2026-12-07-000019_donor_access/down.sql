DROP INDEX subscriptions_email;
DROP TABLE donor_sessions;
DROP TABLE donor_links;
