ALTER TABLE news_posts DROP COLUMN marks_done;
ALTER TABLE news_posts DROP COLUMN plan_line;
