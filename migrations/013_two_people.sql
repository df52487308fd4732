-- foreign_keys: off
-- Schema 13: a decision that takes two people takes two people (issue 22).
--
-- Removing a coordinator: a first coordinator proposes, a second agrees (or says no), and the
-- removal then takes effect only at `takes_effect_at`, which the sweep reads; until then any
-- other coordinator can stop it. Who answered and who stopped it are person numbers, like
-- `proposed_by`. Without the key the table reveals which person number proposed, answered or
-- stopped a coordinator's removal and, to the second, when it takes effect (the moment the
-- second coordinator agreed plus WAAKZAAM_REMOVAL_DELAY_HOURS): facts about coordinators, never
-- about a colleague who asked for help.
CREATE TABLE removals_new (
    id              INTEGER PRIMARY KEY,
    person_id       INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    role            TEXT NOT NULL CHECK (role IN ('coordinator', 'steering', 'member')),
    proposed_by     INTEGER REFERENCES people (id) ON DELETE SET NULL,
    decided_by      INTEGER REFERENCES people (id) ON DELETE SET NULL,
    stopped_by      INTEGER REFERENCES people (id) ON DELETE SET NULL,
    state           TEXT NOT NULL DEFAULT 'proposed'
                    CHECK (state IN ('proposed', 'agreed', 'done', 'declined', 'stopped', 'withdrawn')),
    created_at      TEXT NOT NULL,
    takes_effect_at TEXT
);
INSERT INTO removals_new (id, person_id, role, proposed_by, state, created_at)
    SELECT id, person_id, role, proposed_by, state, created_at FROM removals;
DROP TABLE removals;
ALTER TABLE removals_new RENAME TO removals;
CREATE UNIQUE INDEX removals_open ON removals (person_id, role) WHERE state IN ('proposed', 'agreed');
CREATE INDEX removals_due ON removals (takes_effect_at) WHERE state = 'agreed';
