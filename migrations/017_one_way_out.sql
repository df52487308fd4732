-- Issue 24, one way out: everything the bot says on behalf of an update (direct answers, edits of
-- the pressed message, cards, pictures, the answer to a button press) is an outbox row keyed by the
-- update's inbox row and its order within the handling, written in the same transaction as what
-- the update changed.

ALTER TABLE outbox ADD COLUMN origin INTEGER;        -- the inbox row of the update that said it (no
                                                     -- foreign key: handled inbox rows go after two days)
ALTER TABLE outbox ADD COLUMN seq INTEGER;           -- its order within that handling
ALTER TABLE outbox ADD COLUMN edit_message INTEGER;  -- a message in the person's chat to edit (the one pressed)

CREATE UNIQUE INDEX outbox_said ON outbox (origin, seq) WHERE origin IS NOT NULL;
-- A person's new messages go in the order they were said: one that waits holds back the later ones.
CREATE INDEX outbox_person_pending ON outbox (person_id, id) WHERE state = 'pending';

-- A copy of a relayed message that may have reached the person twice (the first copy's Telegram
-- id was never recorded): a keyed hash of its text, so that a reply to that first copy still
-- finds its conversation. Only rows that may have gone out twice get one.
ALTER TABLE outbox ADD COLUMN fingerprint BLOB;
CREATE INDEX outbox_fingerprint ON outbox (person_id, fingerprint) WHERE fingerprint IS NOT NULL;

-- What an update said is written in one INSERT of several rows; SQLite's foreign-key checks for
-- it (an offer pointing at an outbox row) read offers by their outbox row, through this index
-- (so do retention's deletions of old deliveries, which set those pointers to NULL).
CREATE INDEX offers_outbox ON offers (outbox_id) WHERE outbox_id IS NOT NULL;
