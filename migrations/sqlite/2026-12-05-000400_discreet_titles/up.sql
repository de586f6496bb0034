-- Neutral tab titles ("Mend", not the lesson's title) unless the learner turns them off on
-- /account/discretion: on by default, for every existing account too.
ALTER TABLE users ADD COLUMN discreet_titles BOOLEAN NOT NULL DEFAULT TRUE;
