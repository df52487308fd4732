-- Schema 16: erased stays erased, also after a restore (issue 22.5).
--
-- Every person gets a random tag (16 bytes) that means nothing outside their own row. Each
-- /forget leaves that tag and the day in the erasure log; a restore takes the log of the
-- database it replaces and erases again, in the backup it puts in place, every person whose row
-- carries a logged tag. The tag links the log to nobody in the live database, with or without
-- the key: only a copy that still holds the person's row (a backup from before) holds the same
-- tag. An entry is kept only as long as such a copy may exist (WAAKZAAM_BACKUP_KEEP_DAYS, 30 by
-- default), then deleted by the nightly retention.
ALTER TABLE people ADD COLUMN erasure_tag BLOB;
UPDATE people SET erasure_tag = randomblob(16);

CREATE TABLE erasures (
    id  INTEGER PRIMARY KEY,
    tag BLOB NOT NULL,
    day TEXT NOT NULL
);
CREATE INDEX erasures_day ON erasures (day);
