-- Schema 15: every reader reads "you said, we did" in their own language (issue 23).
--
-- news.language: the language its author wrote it in (NULL for messages written before: shown as
-- they are). news_versions: the same message in another language, written by its author or by the
-- second person before publishing; body sealed, bound to its row, deleted with the message's text
-- when it is sent back. Without the key a copy shows which languages a message was given in.
ALTER TABLE news ADD COLUMN language TEXT;
CREATE TABLE news_versions (
    id       INTEGER PRIMARY KEY,
    news_id  INTEGER NOT NULL REFERENCES news (id) ON DELETE CASCADE,
    language TEXT NOT NULL,
    body_enc BLOB NOT NULL,
    UNIQUE (news_id, language)
);
