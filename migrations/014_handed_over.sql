-- Schema 14: a conversation handed over no longer starts blind (issue 23).
--
-- When a listener hands a conversation back, leaves or is removed, the colleague is asked whether
-- the next listener may read the earlier conversation (and the notes, as notes_consent already
-- records). history_consent is their answer ('asked' until they give it); history_until is the
-- last message of the earlier conversation (messages.id): what the next listener may read, at the
-- colleague's yes, and nothing written after it. Neither reveals any text; both are cleared with
-- the case's content at retention and erasure.
ALTER TABLE requests ADD COLUMN history_consent TEXT CHECK (history_consent IN ('asked', 'yes', 'no'));
ALTER TABLE requests ADD COLUMN history_until INTEGER;
