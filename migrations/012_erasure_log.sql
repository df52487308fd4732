-- Schema 12: erased stays erased, also after a restore (issue 22.5).
--
-- Each /forget leaves one row: a keyed hash of the person's Telegram id (HMAC under the key
-- version then active, named here) and the day. A restore takes these rows from the database it
-- replaces and erases those people again in the backup it puts in place. A row is kept only as
-- long as a copy made before it may exist (WAAKZAAM_BACKUP_KEEP_DAYS, 30 by default), then deleted
-- by the nightly retention. Without the key the hash links to nobody.
CREATE TABLE erasures (
    id          INTEGER PRIMARY KEY,
    user_hash   BLOB NOT NULL,
    key_version INTEGER NOT NULL,
    day         TEXT NOT NULL
);
CREATE INDEX erasures_day ON erasures (day);
