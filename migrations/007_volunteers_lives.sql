-- Schema 7: a network that fits volunteers' lives.

-- When a listener takes offers and reminders: JSON [[weekday, start minute, end minute], ...] in
-- the organisation's time zone; NULL: any time. (A listener's own profile, not a requester's.)
ALTER TABLE members ADD COLUMN hours TEXT;

-- Who is on call for urgent requests, per ISO week ("2026-W48"), with their agreement.
CREATE TABLE oncall (
    id         INTEGER PRIMARY KEY,
    week       TEXT NOT NULL,
    member_id  INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    state      TEXT NOT NULL DEFAULT 'asked' CHECK (state IN ('asked', 'accepted', 'declined', 'withdrawn')),
    asked_by   INTEGER REFERENCES people (id) ON DELETE SET NULL,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX oncall_accepted ON oncall (week) WHERE state = 'accepted';
CREATE UNIQUE INDEX oncall_asked ON oncall (week, member_id) WHERE state = 'asked';

-- A rota that repeats: the listeners asked in turn, a week each.
CREATE TABLE rota (
    position  INTEGER PRIMARY KEY,
    member_id INTEGER NOT NULL UNIQUE REFERENCES members (id) ON DELETE CASCADE
);

-- An employee who would like to become a listener. The name they give is sealed
-- (volunteers.name); nothing of any conversation is linked to it.
CREATE TABLE volunteers (
    person_id  INTEGER PRIMARY KEY REFERENCES people (id) ON DELETE CASCADE,
    name_enc   BLOB NOT NULL,
    state      TEXT NOT NULL DEFAULT 'waiting' CHECK (state IN ('waiting', 'invited', 'declined')),
    created_at TEXT NOT NULL
);

-- What an employee chose to hear about (calls for volunteers now; news of what changed later).
CREATE TABLE subscriptions (
    person_id INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    topic     TEXT NOT NULL,
    PRIMARY KEY (person_id, topic)
);

-- The network's own meetings: the case discussion and intervision. Reminded once, the day before.
CREATE TABLE meetings (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('case_discussion', 'intervision')),
    at          TEXT NOT NULL,
    created_by  INTEGER REFERENCES people (id) ON DELETE SET NULL,
    reminded_at TEXT,
    cancelled   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX meetings_due ON meetings (at) WHERE reminded_at IS NULL AND cancelled = 0;
