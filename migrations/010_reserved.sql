-- A placeholder, so that this branch runs alone: migration 010 belongs to another branch
-- (010_actions.sql). It changes nothing. Delete this file when that branch's 010 is merged.
SELECT 1;
