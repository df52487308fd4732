-- Schema 6: what people see on their phones.
-- The author's own message (its id in their chat, which is not an identifier of anyone) gets a
-- reaction when the other side has it: delivery shown without a second message.
ALTER TABLE messages ADD COLUMN author_message_id INTEGER;
-- The day a message was written (never the time): "today", "2 days ago" on the buttons a
-- listener picks a conversation with.
ALTER TABLE messages ADD COLUMN written_on TEXT;
ALTER TABLE drafts ADD COLUMN author_message_id INTEGER;
-- A delivery that waits for another one (a reaction "delivered" waits for the relay it marks).
ALTER TABLE outbox ADD COLUMN after_id INTEGER REFERENCES outbox (id) ON DELETE CASCADE;
CREATE INDEX outbox_after ON outbox (after_id) WHERE after_id IS NOT NULL;
