-- Schema 2: the 24-hour promise (reminders, widening, breach, urgent path) and member protection.

-- May the request go to listeners outside the requester's wishes when none of those is free?
ALTER TABLE requests ADD COLUMN allow_widening INTEGER NOT NULL DEFAULT 1;
ALTER TABLE requests ADD COLUMN widened_at TEXT;
ALTER TABLE requests ADD COLUMN breached_at TEXT;
ALTER TABLE requests ADD COLUMN handbacks INTEGER NOT NULL DEFAULT 0;

-- Each timed step happens once per request (and per claim, via cycle = the claim's time):
-- the row is written in the same transaction as the step, so a crash redoes it, a restart does not.
CREATE TABLE request_events (
    request_id INTEGER NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    cycle      TEXT NOT NULL DEFAULT '',
    at         TEXT NOT NULL,
    PRIMARY KEY (request_id, kind, cycle)
);

-- Members who must not be offered a request again: they handed it back, were released, or left.
CREATE TABLE request_exclusions (
    request_id INTEGER NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    member_id  INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    reason     TEXT NOT NULL
        CHECK (reason IN ('conflict', 'knows_person', 'overload', 'other_profile', 'released', 'left')),
    at         TEXT NOT NULL,
    PRIMARY KEY (request_id, member_id)
);

CREATE INDEX requests_open_state ON requests (state) WHERE state IN ('new', 'offered', 'claimed', 'contacted');
