-- foreign_keys: off
-- Schema 5: nothing leaked. What a copy of the database without the key could use to single
-- out a requester is sealed or coarsened; removal and revocation get their records.
-- (The runner turns foreign keys off for this file, as SQLite's table rebuild requires, and
-- checks them before it commits.) bot/storage/upgrades.py seals the existing values into the
-- stage_* tables first.

-- People: the language a person speaks is sealed (people.language); the first-seen time is
-- kept to the day. name_enc: how coordinators and steering members are shown to coordinators.
CREATE TABLE people_new (
    id             INTEGER PRIMARY KEY,
    user_hash      BLOB NOT NULL UNIQUE,
    chat_id_enc    BLOB NOT NULL,
    language_enc   BLOB NOT NULL,
    name_enc       BLOB,
    access_granted INTEGER NOT NULL DEFAULT 0,
    created_at     TEXT NOT NULL  -- a day: YYYY-MM-DD
);
INSERT INTO people_new (id, user_hash, chat_id_enc, language_enc, access_granted, created_at)
    SELECT p.id, p.user_hash, p.chat_id_enc, s.language_enc, p.access_granted, substr(p.created_at, 1, 10)
    FROM people p JOIN stage_people s ON s.id = p.id;
DROP TABLE people;
ALTER TABLE people_new RENAME TO people;

-- Requests: the conversation's language and every wish about the listener are sealed together
-- (requests.wishes: language, gender, age band, status, other department, a chosen listener,
-- whether widening is allowed). What stays in the clear is what the figures and the deadlines
-- need: department, urgency, state, the request-level times, themes, level, outcome.
CREATE TABLE requests_new (
    id                INTEGER PRIMARY KEY,
    ref               TEXT NOT NULL UNIQUE,
    requester_id      INTEGER REFERENCES people (id) ON DELETE SET NULL,
    state             TEXT NOT NULL
        CHECK (state IN ('new', 'offered', 'claimed', 'contacted', 'closed', 'withdrawn')),
    wishes_enc        BLOB,
    department        TEXT,
    urgent            INTEGER NOT NULL DEFAULT 0,
    member_id         INTEGER REFERENCES members (id) ON DELETE SET NULL,
    created_at        TEXT NOT NULL,
    deadline_at       TEXT NOT NULL,
    claimed_at        TEXT,
    contacted_at      TEXT,
    closed_at         TEXT,
    closed_by         TEXT CHECK (closed_by IN ('requester', 'member', 'coordinator', 'system')),
    widened_at        TEXT,
    breached_at       TEXT,
    handbacks         INTEGER NOT NULL DEFAULT 0,
    outcome           TEXT CHECK (outcome IN ('listened', 'referred', 'signposted', 'no_reply', 'withdrawn')),
    level             TEXT,
    notes_consent     TEXT CHECK (notes_consent IN ('asked', 'yes', 'no')),
    content_erased_at TEXT,
    origin            INTEGER
);
INSERT INTO requests_new (id, ref, requester_id, state, wishes_enc, department, urgent, member_id, created_at,
                          deadline_at, claimed_at, contacted_at, closed_at, closed_by, widened_at, breached_at,
                          handbacks, outcome, level, notes_consent, content_erased_at, origin)
    SELECT r.id, r.ref, r.requester_id, r.state, s.wishes_enc, r.department, r.urgent, r.member_id, r.created_at,
           r.deadline_at, r.claimed_at, r.contacted_at, r.closed_at, r.closed_by, r.widened_at, r.breached_at,
           r.handbacks, r.outcome, r.level, r.notes_consent, r.content_erased_at, r.origin
    FROM requests r LEFT JOIN stage_requests s ON s.id = r.id;
DROP TABLE requests;
ALTER TABLE requests_new RENAME TO requests;
CREATE UNIQUE INDEX requests_one_open ON requests (requester_id) WHERE state IN ('new', 'offered', 'claimed', 'contacted');
CREATE INDEX requests_member_open ON requests (member_id) WHERE state IN ('claimed', 'contacted');
CREATE INDEX requests_unclaimed ON requests (deadline_at) WHERE state IN ('new', 'offered');
CREATE INDEX requests_open_state ON requests (state) WHERE state IN ('new', 'offered', 'claimed', 'contacted');
CREATE INDEX requests_closed ON requests (closed_at) WHERE content_erased_at IS NULL;
CREATE UNIQUE INDEX requests_origin ON requests (origin) WHERE origin IS NOT NULL;

-- Messages: no time at all any more (the order is the row id); delivered is a flag.
CREATE TABLE messages_new (
    id         INTEGER PRIMARY KEY,
    request_id INTEGER NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    author     TEXT NOT NULL CHECK (author IN ('requester', 'member')),
    body_enc   BLOB NOT NULL,
    delivered  INTEGER NOT NULL DEFAULT 0 CHECK (delivered IN (0, 1)),
    origin     INTEGER
);
INSERT INTO messages_new (id, request_id, author, body_enc, delivered, origin)
    SELECT id, request_id, author, body_enc, delivered_at IS NOT NULL, origin FROM messages;
DROP TABLE messages;
ALTER TABLE messages_new RENAME TO messages;
CREATE INDEX messages_request ON messages (request_id, id);
CREATE UNIQUE INDEX messages_origin ON messages (origin) WHERE origin IS NOT NULL;

-- Everything else a requester's activity leaves behind is kept to the day.
UPDATE drafts SET created_at = substr(created_at, 1, 10);
UPDATE case_notes SET created_at = substr(created_at, 1, 10);
UPDATE case_referrals SET created_at = substr(created_at, 1, 10);
UPDATE feedback SET created_at = substr(created_at, 1, 10);
UPDATE audit_log SET at = substr(at, 1, 10);
UPDATE prompts SET created_at = substr(created_at, 1, 10);
UPDATE outbox SET created_at = substr(created_at, 1, 10), not_before = substr(not_before, 1, 10), sent_at = NULL
    WHERE state != 'pending';
UPDATE inbox SET received_at = substr(received_at, 1, 10), not_before = substr(not_before, 1, 10)
    WHERE state != 'pending';

-- Removal and revocation. An invitation can be cancelled before it is used.
ALTER TABLE invites ADD COLUMN cancelled_at TEXT;
-- A listener removed by a coordinator (rather than leaving): who decided, for the audit trail.
ALTER TABLE members ADD COLUMN removed_by INTEGER;
-- Removing a coordinator takes two: the proposal waits here for a second coordinator.
CREATE TABLE removals (
    id          INTEGER PRIMARY KEY,
    person_id   INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    role        TEXT NOT NULL CHECK (role IN ('coordinator', 'steering', 'member')),
    proposed_by INTEGER REFERENCES people (id) ON DELETE SET NULL,
    state       TEXT NOT NULL DEFAULT 'proposed' CHECK (state IN ('proposed', 'done', 'declined', 'withdrawn')),
    created_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX removals_open ON removals (person_id, role) WHERE state = 'proposed';

DROP TABLE stage_people;
DROP TABLE stage_requests;
