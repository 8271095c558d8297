-- Impact (issue 26): a news post may be tied to a line of its campaign's plan (by the line's
-- key) and say that line is done ("the summer School was held on 14 June: 23 mentors trained").
ALTER TABLE news_posts ADD COLUMN plan_line TEXT;
ALTER TABLE news_posts ADD COLUMN marks_done BOOLEAN NOT NULL DEFAULT FALSE;
