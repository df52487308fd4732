-- Schema 8: more ways to ask, and the right route for each.

-- What kind of request: for oneself, or a concern about someone else (counted apart).
ALTER TABLE requests ADD COLUMN kind TEXT NOT NULL DEFAULT 'self' CHECK (kind IN ('self', 'concern'));
-- The listener marked the problem as having a collective character (seed 004, 318-323).
ALTER TABLE requests ADD COLUMN collective INTEGER NOT NULL DEFAULT 0 CHECK (collective IN (0, 1));
-- A listener proposed to meet in person or by phone, and the colleague's answer. Only that: never
-- where or when. 'accepted' is what counts as met.
ALTER TABLE requests ADD COLUMN meeting TEXT CHECK (meeting IN ('proposed', 'accepted', 'declined', 'unreachable'));

-- A listener who works in HR wears two hats (seed 004, 3536-3538): colleagues may ask for someone
-- who is neither HR nor management.
ALTER TABLE members ADD COLUMN hr INTEGER NOT NULL DEFAULT 0 CHECK (hr IN (0, 1));

-- Consent for a referral is the colleague's own answer now: asked, then yes or no.
ALTER TABLE case_referrals ADD COLUMN answer TEXT CHECK (answer IN ('asked', 'yes', 'no', 'unreachable'));

-- "Something is wrong in my team": a signal without a conversation. No free text at all.
-- dedupe: a keyed hash of the sender and the 13-week period, so a burst from one account counts once
-- (a new signal replaces that account's earlier one in the period), and nothing links it to a person.
CREATE TABLE team_signals (
    id         INTEGER PRIMARY KEY,
    dedupe     BLOB NOT NULL UNIQUE,
    department TEXT NOT NULL,
    level      TEXT,
    created_at TEXT NOT NULL  -- a day
);
CREATE TABLE team_signal_themes (
    signal_id INTEGER NOT NULL REFERENCES team_signals (id) ON DELETE CASCADE,
    theme     TEXT NOT NULL,
    PRIMARY KEY (signal_id, theme)
);
CREATE INDEX team_signals_day ON team_signals (created_at);

-- A listener may hand a conversation back without saying why (the charter promises it): 'unsaid'.
CREATE TABLE request_exclusions_new (
    request_id INTEGER NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    member_id  INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    reason     TEXT NOT NULL
        CHECK (reason IN ('conflict', 'knows_person', 'overload', 'other_profile', 'unsaid', 'released', 'left')),
    at         TEXT NOT NULL,
    PRIMARY KEY (request_id, member_id)
);
INSERT INTO request_exclusions_new SELECT request_id, member_id, reason, at FROM request_exclusions;
DROP TABLE request_exclusions;
ALTER TABLE request_exclusions_new RENAME TO request_exclusions;
