-- Schema 11: fast where it counts (issue 14).
--
-- The sweep looks only at requests with something due: each open request carries the moment
-- the sweep next has to look at it (a reminder, the deadline, a check-in), set whenever the
-- request changes and after every look. What it reveals is worked out from times that are in
-- the clear already (created, deadline, claimed, contacted), so it adds nothing to SECURITY.md's
-- list but its own name.
ALTER TABLE requests ADD COLUMN sweep_at TEXT;
UPDATE requests SET sweep_at = created_at WHERE state IN ('new', 'offered', 'claimed', 'contacted');
CREATE INDEX requests_sweep ON requests (sweep_at) WHERE sweep_at IS NOT NULL;


-- The outbox is read oldest first among the pending deliveries: by this index, which holds only
-- those, rather than along the whole table, which keeps every delivery's day for years.
CREATE INDEX outbox_due ON outbox (id) WHERE state = 'pending';

-- The listeners who take offers, and the pauses that end: read at every sweep, without the
-- rows of everyone who ever left.
CREATE INDEX members_active ON members (id) WHERE left_at IS NULL AND charter_accepted_at IS NOT NULL AND profile_complete = 1;
CREATE INDEX members_paused ON members (paused_until) WHERE paused_until IS NOT NULL;
