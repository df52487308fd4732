-- Waakzaam schema 1: people, roles, invites, members, requests, offers, messages, outbox.
-- Columns ending in _enc hold AES-GCM values bound to (table, column, row id).
-- Times are UTC ISO-8601 text ('2026-11-26T04:40:00+00:00'), so they sort as text.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL
);

-- Anyone who talked to the bot. The Telegram id is kept only as a keyed hash.
CREATE TABLE people (
    id               INTEGER PRIMARY KEY,
    user_hash        BLOB NOT NULL UNIQUE,
    chat_id_enc      BLOB NOT NULL,
    language         TEXT NOT NULL CHECK (language IN ('nl', 'fr', 'en')),
    access_granted   INTEGER NOT NULL DEFAULT 0,
    created_at       TEXT NOT NULL
);

CREATE TABLE roles (
    person_id  INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    role       TEXT NOT NULL CHECK (role IN ('coordinator', 'steering')),
    granted_at TEXT NOT NULL,
    PRIMARY KEY (person_id, role)
);

-- One-time invitations; only a keyed hash of the code is stored.
CREATE TABLE invites (
    id         INTEGER PRIMARY KEY,
    code_hash  BLOB NOT NULL UNIQUE,
    role       TEXT NOT NULL CHECK (role IN ('coordinator', 'member', 'steering')),
    created_by INTEGER REFERENCES people (id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT,
    used_by    INTEGER REFERENCES people (id) ON DELETE SET NULL
);

-- Volunteer listeners. Profile fields are structured (they drive routing);
-- the display name is free text and therefore sealed.
CREATE TABLE members (
    id                  INTEGER PRIMARY KEY,
    person_id           INTEGER NOT NULL UNIQUE REFERENCES people (id) ON DELETE CASCADE,
    handle              TEXT NOT NULL UNIQUE,
    display_name_enc    BLOB,
    gender              TEXT CHECK (gender IN ('woman', 'man', 'other')),
    age_band            TEXT CHECK (age_band IN ('under35', '35to50', 'over50')),
    status              TEXT CHECK (status IN ('worker', 'employee', 'manager')),
    department          TEXT,
    languages           TEXT NOT NULL DEFAULT '',
    charter_accepted_at TEXT,
    profile_complete    INTEGER NOT NULL DEFAULT 0,
    max_open_cases      INTEGER NOT NULL DEFAULT 3 CHECK (max_open_cases BETWEEN 1 AND 10),
    paused_until        TEXT,
    joined_at           TEXT NOT NULL,
    left_at             TEXT
);

CREATE TABLE requests (
    id                    INTEGER PRIMARY KEY,
    ref                   TEXT NOT NULL UNIQUE,
    requester_id          INTEGER REFERENCES people (id) ON DELETE SET NULL,
    state                 TEXT NOT NULL
        CHECK (state IN ('new', 'offered', 'claimed', 'contacted', 'closed', 'withdrawn')),
    language              TEXT NOT NULL CHECK (language IN ('nl', 'fr', 'en')),
    department            TEXT,
    pref_gender           TEXT,
    pref_age_band         TEXT,
    pref_status           TEXT,
    pref_language         TEXT,
    pref_other_department INTEGER NOT NULL DEFAULT 0,
    pref_member_id        INTEGER REFERENCES members (id) ON DELETE SET NULL,
    urgent                INTEGER NOT NULL DEFAULT 0,
    member_id             INTEGER REFERENCES members (id) ON DELETE SET NULL,
    created_at            TEXT NOT NULL,
    deadline_at           TEXT NOT NULL,
    claimed_at            TEXT,
    contacted_at          TEXT,
    closed_at             TEXT,
    closed_by             TEXT CHECK (closed_by IN ('requester', 'member', 'coordinator', 'system'))
);
-- One open request per employee, enforced by the database itself.
CREATE UNIQUE INDEX requests_one_open ON requests (requester_id)
    WHERE state IN ('new', 'offered', 'claimed', 'contacted');
CREATE INDEX requests_member_open ON requests (member_id)
    WHERE state IN ('claimed', 'contacted');
CREATE INDEX requests_unclaimed ON requests (deadline_at)
    WHERE state IN ('new', 'offered');

CREATE TABLE offers (
    id         INTEGER PRIMARY KEY,
    request_id INTEGER NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    member_id  INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    state      TEXT NOT NULL CHECK (state IN ('open', 'declined', 'won', 'taken', 'withdrawn')),
    outbox_id  INTEGER REFERENCES outbox (id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    UNIQUE (request_id, member_id)
);
CREATE INDEX offers_member ON offers (member_id, state);

-- The conversation, sealed. delivered_at is NULL while a message is pending.
CREATE TABLE messages (
    id           INTEGER PRIMARY KEY,
    request_id   INTEGER NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    author       TEXT NOT NULL CHECK (author IN ('requester', 'member')),
    body_enc     BLOB NOT NULL,
    created_at   TEXT NOT NULL,
    delivered_at TEXT
);
CREATE INDEX messages_request ON messages (request_id, id);

-- A text that waits for its author to say which case it is for.
CREATE TABLE drafts (
    id         INTEGER PRIMARY KEY,
    person_id  INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    body_enc   BLOB NOT NULL,
    created_at TEXT NOT NULL
);

-- Everything the bot must deliver to someone other than the user it is answering.
-- The payload (text and buttons) is sealed and cleared once sent.
CREATE TABLE outbox (
    id                  INTEGER PRIMARY KEY,
    person_id           INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    request_id          INTEGER REFERENCES requests (id) ON DELETE CASCADE,
    message_id          INTEGER REFERENCES messages (id) ON DELETE CASCADE,
    edit_of             INTEGER REFERENCES outbox (id) ON DELETE CASCADE,
    payload_enc         BLOB NOT NULL,
    state               TEXT NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'sent', 'blocked', 'failed', 'cancelled')),
    attempts            INTEGER NOT NULL DEFAULT 0,
    not_before          TEXT NOT NULL,
    created_at          TEXT NOT NULL,
    sent_at             TEXT,
    telegram_message_id INTEGER
);
CREATE INDEX outbox_pending ON outbox (not_before) WHERE state = 'pending';
CREATE INDEX outbox_sent ON outbox (person_id, telegram_message_id);
