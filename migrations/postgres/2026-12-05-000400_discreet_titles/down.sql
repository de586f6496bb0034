ALTER TABLE users DROP COLUMN discreet_titles;
