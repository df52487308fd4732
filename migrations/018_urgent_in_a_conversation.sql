-- Schema 18: "I am not safe" from an open conversation is answered within the urgent deadline
-- (walk 1, finding 1).
--
-- A conversation a listener holds may have had its first contact long ago; when the colleague then
-- says they are not safe, that earlier contact does not count. urgent_contact_by is the moment by
-- which a listener must write to them since they said so: the sweep alerts every available
-- listener (or the one on call) and the coordinators when nobody has, and another listener may
-- take the conversation over while it is set. It is cleared when a listener writes, the
-- conversation changes hands or closes. A deadline, in the clear as the contact deadline is.
ALTER TABLE requests ADD COLUMN urgent_contact_by TEXT;
