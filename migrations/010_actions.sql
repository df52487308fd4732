-- Schema 10: from signals to action and back: the steering group's answers to the signals,
-- its actions and their follow-up, "you said, we did", and the reminders that must go once.

-- A signal as the steering group saw it: a department group and a theme the network reported
-- in a digest. One row per (dep, theme), written in the transaction of the first digest that
-- publishes it; last_week moves on with every digest that publishes it again.
-- dep: the group key as the digest published it (a stored department name, '~other' for the
-- small departments together, '~none' for requests without a department); dep_name: the stored
-- department's name (NULL for the two groups). Both are request columns that are in the clear
-- anyway, as in review_candidates.
-- answer: how the steering group answered without an action ('acknowledged', 'not_now' with
-- its reason in its own words, sealed: signals.reason); an action answers it too (actions.signal_id).
CREATE TABLE signals (
    id          INTEGER PRIMARY KEY,
    dep         TEXT NOT NULL,
    dep_name    TEXT,
    theme       TEXT NOT NULL,
    first_week  TEXT NOT NULL,
    last_week   TEXT NOT NULL,
    answer      TEXT CHECK (answer IN ('acknowledged', 'not_now')),
    answered_by INTEGER REFERENCES people (id) ON DELETE SET NULL,
    answered_at TEXT,
    reason_enc  BLOB,
    UNIQUE (dep, theme)
);

-- An action of the steering group (004:1866-1895, 2930-2936, 3118-3124, 3248-3272). Every text
-- is the steering group's own words, sealed and bound to the action: what (title), who carries
-- it (owner: a function, never a name), how, and how feedback follows.
-- urgency x feasibility place it among the priorities with a schedule or the long-term
-- challenges; feasibility also says quick win or structural.
-- due: a day in the organisation's time zone. updated_at: the day of the latest update (the
-- stall flag reads it). keeper: the steering member who follows it up and gets the reminder
-- (remind_at, a UTC moment the sweep reads; reminded_at once sent).
CREATE TABLE actions (
    id           INTEGER PRIMARY KEY,
    signal_id    INTEGER REFERENCES signals (id) ON DELETE SET NULL,
    title_enc    BLOB NOT NULL,
    owner_enc    BLOB NOT NULL,
    plan_enc     BLOB,
    feedback_enc BLOB,
    urgency      TEXT NOT NULL CHECK (urgency IN ('high', 'medium', 'low')),
    feasibility  TEXT NOT NULL CHECK (feasibility IN ('quick', 'means', 'structural')),
    due          TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'planned' CHECK (status IN ('planned', 'in_progress', 'done', 'dropped')),
    effect       TEXT CHECK (effect IN ('better', 'unchanged', 'worse', 'too_early')),
    keeper       INTEGER REFERENCES people (id) ON DELETE SET NULL,
    opened_by    INTEGER REFERENCES people (id) ON DELETE SET NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    closed_at    TEXT,
    remind_at    TEXT,
    reminded_at  TEXT,
    origin       INTEGER
);
CREATE UNIQUE INDEX actions_origin ON actions (origin) WHERE origin IS NOT NULL;
CREATE INDEX actions_open ON actions (status, remind_at);
CREATE INDEX actions_signal ON actions (signal_id);

-- Each update of an action, dated (a day): the status it set (or none, for a note), the effect
-- asked at closing, a new due date, and an optional note in the steering group's words (sealed).
CREATE TABLE action_updates (
    id        INTEGER PRIMARY KEY,
    action_id INTEGER NOT NULL REFERENCES actions (id) ON DELETE CASCADE,
    at        TEXT NOT NULL,
    by        INTEGER REFERENCES people (id) ON DELETE SET NULL,
    status    TEXT CHECK (status IN ('planned', 'in_progress', 'done', 'dropped')),
    effect    TEXT CHECK (effect IN ('better', 'unchanged', 'worse', 'too_early')),
    due       TEXT,
    note_enc  BLOB,
    origin    INTEGER
);
CREATE UNIQUE INDEX action_updates_origin ON action_updates (origin) WHERE origin IS NOT NULL;
CREATE INDEX action_updates_action ON action_updates (action_id, id);

-- "You said, we did" (004:3541-3555): a short message a coordinator or steering member drafts
-- and a second person approves before it goes to the listeners and the employees who follow
-- the network's news. body: sealed. figures: it carries the network's use figures, read from the
-- digest of digest_week (released figures only). action_id: the action it tells about, if any.
-- A draft sent back is kept as 'returned' without its text.
CREATE TABLE news (
    id           INTEGER PRIMARY KEY,
    author       INTEGER REFERENCES people (id) ON DELETE SET NULL,
    action_id    INTEGER REFERENCES actions (id) ON DELETE SET NULL,
    body_enc     BLOB NOT NULL,
    figures      INTEGER NOT NULL DEFAULT 0 CHECK (figures IN (0, 1)),
    flagged      INTEGER NOT NULL DEFAULT 0 CHECK (flagged IN (0, 1)),
    state        TEXT NOT NULL CHECK (state IN ('draft', 'pending', 'published', 'returned')),
    decided_by   INTEGER REFERENCES people (id) ON DELETE SET NULL,
    created_at   TEXT NOT NULL,
    published_at TEXT,
    digest_week  TEXT,
    recipients   INTEGER,
    origin       INTEGER
);
CREATE UNIQUE INDEX news_origin ON news (origin) WHERE origin IS NOT NULL;
CREATE INDEX news_state ON news (state, published_at);

-- Reminders that go once per label (the quarterly "actions closed and nothing was told"),
-- inserted in the transaction that queues them, so a restart never sends one twice.
CREATE TABLE nudges (
    kind  TEXT NOT NULL,
    label TEXT NOT NULL,
    at    TEXT NOT NULL,
    PRIMARY KEY (kind, label)
);
