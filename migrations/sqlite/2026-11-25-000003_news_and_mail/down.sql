DROP TABLE mail_outbox;
DROP TABLE comments;
DROP TABLE subscription_tokens;
DROP TABLE subscribers;
DROP TABLE news_posts;
