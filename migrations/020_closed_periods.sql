-- Schema 20: figures of closed periods, counted once and released once (issue 21).
--
-- A month, a quarter and a year are counted once, a few days after they end (WAAKZAAM_SETTLE_DAYS),
-- and their figures are released once, with the digest of that week. Neither ever changes: what
-- was released stays released, whatever /forget or retention removes later, and every page (the
-- digest, the reports, /quality, the news line) reprints releases and never counts a closed period
-- again. The triggers below refuse to change or remove either.

-- figure_periods: the counted base cells of one period, sealed (figure_periods.cells, bound to the
-- label): counts per cell such as "requests of week-part 2026-07/W28 that were urgent and kept the
-- promise", "conversations in Production at team level" or "Production x workload at team level",
-- the identities a reader knows about them, the times to first contact (minutes, for the median),
-- and the network's make-up at the period's end. Counts with no link to anyone; sealed all the same.
CREATE TABLE figure_periods (
    label      TEXT PRIMARY KEY,                 -- '2026-07', '2026-Q3', '2026'
    kind       TEXT NOT NULL CHECK (kind IN ('month', 'quarter', 'year')),
    first_day  TEXT NOT NULL,                    -- the organisation's day, inclusive
    end_day    TEXT NOT NULL,                    -- the organisation's day, exclusive
    counted_at TEXT NOT NULL,                    -- UTC instant of the count
    k          INTEGER NOT NULL,
    cells_enc  BLOB NOT NULL
);

-- releases: everything ever shown to a coordinator or a steering member about requests, in the
-- order it was released, sealed (releases.body, bound to the label): each figure's cells and its
-- statement ("exact 23", "fewer than 5", "held back, 5 to 12", a step, a flag), the signals the
-- network reported with their approved suggestions. chain: SHA-256 over the previous release's
-- chain and this release's plaintext body, so a changed or missing release shows (key rotation
-- re-seals body_enc; the chain, over the plaintext, stays).
CREATE TABLE releases (
    seq      INTEGER PRIMARY KEY,
    label    TEXT NOT NULL UNIQUE,               -- '2026-Q3', 'open/2026-10/2026-W42', 'review/2026-10'
    kind     TEXT NOT NULL CHECK (kind IN ('period', 'open', 'review')),
    year     INTEGER NOT NULL,                   -- the calendar year it is about (one audit each)
    made_at  TEXT NOT NULL,
    k        INTEGER NOT NULL,
    body_enc BLOB NOT NULL,
    chain    BLOB NOT NULL
);
CREATE INDEX releases_year ON releases (year, seq);

CREATE TRIGGER figure_periods_stay BEFORE UPDATE OF label, kind, first_day, end_day, counted_at, k ON figure_periods
BEGIN
    SELECT RAISE(ABORT, 'a counted period never changes');
END;
CREATE TRIGGER figure_periods_kept BEFORE DELETE ON figure_periods
BEGIN
    SELECT RAISE(ABORT, 'a counted period is never removed');
END;
CREATE TRIGGER releases_stay BEFORE UPDATE OF seq, label, kind, year, made_at, k, chain ON releases
BEGIN
    SELECT RAISE(ABORT, 'a release never changes');
END;
CREATE TRIGGER releases_kept BEFORE DELETE ON releases
BEGIN
    SELECT RAISE(ABORT, 'a release is never removed');
END;

-- A conversation took place: contact was made and the colleague wrote after it. Only such
-- requests move what the figures say requests are about (themes, levels, departments, concerns,
-- collective character, referrals), so filing and withdrawing requests moves none of them. Set
-- by the relay; for the past, a recorded outcome of a conversation, or a message from the
-- colleague on a request already contacted (messages keep no time any more).
ALTER TABLE requests ADD COLUMN conversed INTEGER NOT NULL DEFAULT 0 CHECK (conversed IN (0, 1));
UPDATE requests SET conversed = 1
    WHERE contacted_at IS NOT NULL AND outcome IN ('listened', 'referred', 'signposted');
UPDATE requests SET conversed = 1
    WHERE conversed = 0 AND contacted_at IS NOT NULL AND state IN ('contacted', 'closed')
      AND EXISTS (SELECT 1 FROM messages m WHERE m.request_id = requests.id AND m.author = 'requester');
DROP INDEX requests_figures;
CREATE INDEX requests_figures ON requests (created_at, department, level, requester_id, urgent, outcome, state,
                                           breached_at, contacted_at, conversed, kind, collective, closed_at);

-- A review round is about the closed months of one quarter (its label), no longer a 13-week window.
ALTER TABLE review_rounds ADD COLUMN quarter TEXT;

-- Team signals count once per account per quarter: the step before this file gave each live
-- signal the dedupe key of its account and quarter (storage/upgrades.py).
SELECT 1;
