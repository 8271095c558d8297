DROP TABLE sign_in_failures;
DROP TABLE limit_events;
