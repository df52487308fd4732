-- Schema 21: a relay writes fewer pages (issue 26).
--
-- Every index a row is in is one more page written to the log at each commit that touches the
-- row: a relayed message's delivery is inserted, then marked sent, and each index it is in costs
-- a page both times. Two of them earned nothing:
-- - outbox_due duplicated outbox_pending: the sender reads what is due by its time (outbox_pending),
--   and the look for deliveries left in flight at a start reads outbox_person_pending, which holds
--   the same pending rows.
-- - outbox_sent held every delivery, although it is only ever searched by the message id Telegram
--   gave one that went: it now holds those only, so a delivery enters it once, when it is sent.
DROP INDEX outbox_due;
DROP INDEX outbox_sent;
CREATE INDEX outbox_sent ON outbox (person_id, telegram_message_id) WHERE telegram_message_id IS NOT NULL;
