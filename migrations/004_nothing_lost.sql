-- Schema 4: nothing lost, nothing repeated.
-- A durable inbox (an update is stored before Telegram is told it arrived), what the bot is
-- waiting for (prompts), idempotency keys for what people write, and an honest outbox.

-- Every update as it came from Telegram, sealed (inbox.payload, bound to its update_id) until it
-- has been handled. id is never reused (AUTOINCREMENT): it is the origin key of what the update
-- creates, so a replayed update finds its own records instead of making them twice.
-- sender: a keyed hash of who sent it, so one person's updates keep their order while another
-- person's are not held up behind them.
CREATE TABLE inbox (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    update_id   INTEGER NOT NULL UNIQUE,
    sender      BLOB,
    payload_enc BLOB,
    state       TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    not_before  TEXT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE INDEX inbox_pending ON inbox (id) WHERE state = 'pending';
CREATE INDEX inbox_pending_sender ON inbox (sender, id) WHERE state = 'pending';

-- The one question the bot is waiting for a person to answer (a note, a name, a first
-- message...), with its context: the case reference and, sealed, the wizard's choices or a
-- text waiting for its case (prompts.data).
CREATE TABLE prompts (
    person_id  INTEGER PRIMARY KEY REFERENCES people (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    ref        TEXT,
    data_enc   BLOB,
    created_at TEXT NOT NULL
);

-- Origin keys: the inbox row whose update created the record.
ALTER TABLE messages ADD COLUMN origin INTEGER;
CREATE UNIQUE INDEX messages_origin ON messages (origin) WHERE origin IS NOT NULL;
ALTER TABLE drafts ADD COLUMN origin INTEGER;
CREATE UNIQUE INDEX drafts_origin ON drafts (origin) WHERE origin IS NOT NULL;
ALTER TABLE case_notes ADD COLUMN origin INTEGER;
CREATE UNIQUE INDEX case_notes_origin ON case_notes (origin) WHERE origin IS NOT NULL;
ALTER TABLE requests ADD COLUMN origin INTEGER;
CREATE UNIQUE INDEX requests_origin ON requests (origin) WHERE origin IS NOT NULL;

-- The outbox marks a delivery in flight before calling Telegram: after a crash, one found in
-- flight is sent again with a marker that it may be a repeat.
-- sending_at: in flight since; maybe_sent: a previous attempt may have reached Telegram (a crash
-- while in flight, or a time-out), so the next one carries the repeat marker.
ALTER TABLE outbox ADD COLUMN sending_at TEXT;
ALTER TABLE outbox ADD COLUMN maybe_sent INTEGER NOT NULL DEFAULT 0;
-- What the delivery is, so it can be re-checked when it goes out late: 'offer', 'reminder', or
-- NULL for everything else.
ALTER TABLE outbox ADD COLUMN kind TEXT;
-- The offer a message shows (every message ever sent for it, not only the latest).
ALTER TABLE outbox ADD COLUMN offer_id INTEGER REFERENCES offers (id) ON DELETE SET NULL;
CREATE INDEX outbox_offer ON outbox (offer_id) WHERE offer_id IS NOT NULL;
CREATE INDEX outbox_edit_of ON outbox (edit_of) WHERE edit_of IS NOT NULL;
CREATE INDEX outbox_blocked ON outbox (person_id) WHERE state = 'blocked';
