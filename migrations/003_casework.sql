-- Schema 3: casework (notes, themes and level, referrals, outcome, feedback), retention
-- and erasure, and an audit trail without content.
-- What feeds the aggregates is structured; what a person wrote is sealed and deleted with
-- the case's content (see bot/retention.py).

-- How the case ended, chosen by the member when closing (or after the requester ended it).
ALTER TABLE requests ADD COLUMN outcome TEXT
    CHECK (outcome IN ('listened', 'referred', 'signposted', 'no_reply', 'withdrawn'));
-- Where the problem sits: a [[level]] key of charter/themes.toml (data, so no CHECK here).
ALTER TABLE requests ADD COLUMN level TEXT;
-- After a hand-over with notes: did the requester let the next listener read them?
ALTER TABLE requests ADD COLUMN notes_consent TEXT CHECK (notes_consent IN ('asked', 'yes', 'no'));
-- Set when retention or erasure removed the case's content; what is left feeds the figures only.
ALTER TABLE requests ADD COLUMN content_erased_at TEXT;

-- Notes a member keeps on a case, sealed (case_notes.body). Only the member who holds the case
-- reads them: their own, plus earlier listeners' notes once the requester agreed (shared = 1).
CREATE TABLE case_notes (
    id         INTEGER PRIMARY KEY,
    request_id INTEGER NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    member_id  INTEGER REFERENCES members (id) ON DELETE SET NULL,
    body_enc   BLOB NOT NULL,
    shared     INTEGER NOT NULL DEFAULT 0 CHECK (shared IN (0, 1)),
    created_at TEXT NOT NULL
);
CREATE INDEX case_notes_request ON case_notes (request_id, id);

-- Themes of a case: keys of charter/themes.toml (domain, manifestation or theme).
CREATE TABLE case_themes (
    request_id INTEGER NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    theme      TEXT NOT NULL,
    PRIMARY KEY (request_id, theme)
);

-- That a referral happened: to which kind of contact (a key of charter/referrals.toml) and
-- whether the requester agreed that anything be shared with it. Never what was said.
CREATE TABLE case_referrals (
    id         INTEGER PRIMARY KEY,
    request_id INTEGER NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    consent    INTEGER NOT NULL CHECK (consent IN (0, 1)),
    created_at TEXT NOT NULL
);
CREATE INDEX case_referrals_request ON case_referrals (request_id);

-- The requester's anonymous rating after closing; the comment is sealed (feedback.comment)
-- and goes only into the network's own quality figures. One per case.
CREATE TABLE feedback (
    id          INTEGER PRIMARY KEY,
    request_id  INTEGER NOT NULL UNIQUE REFERENCES requests (id) ON DELETE CASCADE,
    rating      INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    comment_enc BLOB,
    created_at  TEXT NOT NULL
);

-- Who did what to which case, and when: never text, never a requester.
-- actor_id is members.id for a member and people.id for a coordinator; no foreign key,
-- so the trail stays when a member leaves.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    actor_role  TEXT NOT NULL CHECK (actor_role IN ('member', 'coordinator', 'requester', 'system')),
    actor_id    INTEGER,
    action      TEXT NOT NULL,
    request_ref TEXT,
    at          TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);

CREATE INDEX requests_closed ON requests (closed_at) WHERE content_erased_at IS NULL;
