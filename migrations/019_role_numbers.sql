-- Schema 19: coordinators and steering members are numbered among themselves (walk 1, finding 11).
--
-- Announcements, /team and /audit named them "#N" by their people row, which counts everyone who
-- ever wrote to the bot: between two role joins a coordinator could count how many colleagues
-- opened it. role_number numbers only the people who got a coordinator or steering role, in the
-- order they first got one; it is kept when a role ends, so a number never passes to someone else.
ALTER TABLE people ADD COLUMN role_number INTEGER;
UPDATE people SET role_number = (
    SELECT ranked.n FROM (
        SELECT person_id, ROW_NUMBER() OVER (ORDER BY MIN(granted_at), person_id) AS n
        FROM roles GROUP BY person_id
    ) AS ranked WHERE ranked.person_id = people.id);
CREATE UNIQUE INDEX people_role_number ON people (role_number) WHERE role_number IS NOT NULL;
