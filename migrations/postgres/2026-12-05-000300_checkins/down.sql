DROP TABLE checkin_shares;
DROP TABLE checkins;
