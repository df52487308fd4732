-- Schema 9: signals, the network's review and the steering group's weekly digest.

-- One row per weekly digest, inserted in the same transaction as its deliveries, so a week's
-- digest goes out once, whatever restarts and clock changes happen around it.
-- week: the ISO week of its slot ('2026-W48'); slot_at: when it was due (UTC); late: made
-- well after that (the bot was not running), and it says so.
-- ledger: the figures engine's ledger after this release (JSON: for every figure shown, the
-- value, the count it was anchored on and since when). The next release needs it; its counts
-- are counts of the request columns that are in the clear anyway.
-- separate: the departments that stood alone (JSON list), so the next merge is stable.
-- published: what the digest says, sealed (digests.published, bound to the week): the figures
-- as released, the reported signals with their approved suggestions, the network's make-up.
CREATE TABLE digests (
    week          TEXT PRIMARY KEY,
    slot_at       TEXT NOT NULL,
    made_at       TEXT NOT NULL,
    late          INTEGER NOT NULL DEFAULT 0 CHECK (late IN (0, 1)),
    ledger        TEXT NOT NULL,
    separate      TEXT NOT NULL,
    published_enc BLOB NOT NULL,
    recipients    INTEGER NOT NULL DEFAULT 0
);

-- The network's review: a round opens with a digest (monthly by default) and holds the
-- candidate signals of that digest's release: a department (group) and a theme that came back
-- in at least WAAKZAAM_SIGNAL_MIN requests of the window ('recent', the digest's window) or of
-- the trend ('year'). basis: whether different colleagues were counted ('colleagues', every
-- request still linked to who asked) or requests ('requests', some links gone after retention).
CREATE TABLE review_rounds (
    id          INTEGER PRIMARY KEY,
    label       TEXT NOT NULL UNIQUE,
    digest_week TEXT NOT NULL REFERENCES digests (week),
    opened_at   TEXT NOT NULL
);

CREATE TABLE review_candidates (
    id       INTEGER PRIMARY KEY,
    round_id INTEGER NOT NULL REFERENCES review_rounds (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    dep      TEXT NOT NULL,
    theme    TEXT NOT NULL,
    span     TEXT NOT NULL CHECK (span IN ('recent', 'year')),
    basis    TEXT NOT NULL CHECK (basis IN ('colleagues', 'requests')),
    UNIQUE (round_id, position)
);

-- Each listener's choice on a candidate: report it to the steering group or not (a day only).
CREATE TABLE review_votes (
    candidate_id INTEGER NOT NULL REFERENCES review_candidates (id) ON DELETE CASCADE,
    member_id    INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    report       INTEGER NOT NULL CHECK (report IN (0, 1)),
    at           TEXT NOT NULL,
    PRIMARY KEY (candidate_id, member_id)
);

-- A listener's suggestion on a candidate, in their own words, sealed (suggestions.body). It
-- reaches a digest only once a coordinator approved it. flagged: the bot warned that it may
-- contain a name or a case reference. One per listener and candidate; a new one replaces it.
-- The text of one sent back is deleted (the row says only that it was).
CREATE TABLE suggestions (
    id           INTEGER PRIMARY KEY,
    candidate_id INTEGER NOT NULL REFERENCES review_candidates (id) ON DELETE CASCADE,
    member_id    INTEGER REFERENCES members (id) ON DELETE SET NULL,
    body_enc     BLOB NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('flagged', 'pending', 'approved', 'returned')),
    flagged      INTEGER NOT NULL DEFAULT 0 CHECK (flagged IN (0, 1)),
    decided_by   INTEGER REFERENCES people (id) ON DELETE SET NULL,
    created_at   TEXT NOT NULL,
    origin       INTEGER
);
CREATE UNIQUE INDEX suggestions_origin ON suggestions (origin) WHERE origin IS NOT NULL;
CREATE INDEX suggestions_candidate ON suggestions (candidate_id, state);

-- The figures are GROUP BY queries over a window of requests (by the time they were made):
-- this index holds every column they read, so a window is counted from the index alone
-- (1M cases over ten years: about 0.7 s for all of a digest's counts). Themes and referrals
-- are then found by request through their own keys.
CREATE INDEX requests_figures ON requests (created_at, department, level, requester_id, urgent, outcome, state,
                                           breached_at, contacted_at);
