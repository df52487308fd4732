"""Steps of a migration that SQL cannot do: sealing values that were stored in the clear.

A step runs in the migration's transaction, before its SQL file, and leaves what it sealed in
TEMP `stage_*` tables for the SQL to pick up. Each is keyed by the version it prepares.
"""
from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta

from bot.foundations.calendar import quarter_of
from bot.foundations.crypto import Vault

from .database import Database

# The wishes that used to be columns of `requests`, and their JSON keys now.
_WISH_COLUMNS = (("pref_gender", "gender"), ("pref_age_band", "age_band"), ("pref_status", "status"),
                 ("pref_other_department", "other_department"), ("pref_member_id", "member_id"))


async def _seal_metadata(db: Database, vault: Vault) -> None:
    """Schema 5: a person's language, and a request's language and wishes, get sealed."""
    await db.execute("CREATE TEMP TABLE stage_people (id INTEGER PRIMARY KEY, language_enc BLOB NOT NULL)")
    await db.execute("CREATE TEMP TABLE stage_requests (id INTEGER PRIMARY KEY, wishes_enc BLOB NOT NULL)")
    for row in await db.fetchall("SELECT id, language FROM people"):
        await db.execute("INSERT INTO stage_people VALUES (?, ?)",
                         (row["id"], vault.seal("people", "language", row["id"], row["language"])))
    for row in await db.fetchall("SELECT * FROM requests"):
        if row["content_erased_at"] is not None:
            continue  # retention removed the wishes already
        wishes = {new: row[old] for old, new in _WISH_COLUMNS}
        wishes["other_department"] = bool(wishes["other_department"])
        # The old wish for a language becomes the conversation's language.
        wishes["language"] = row["pref_language"] or row["language"]
        wishes["allow_widening"] = bool(row["allow_widening"])
        await db.execute("INSERT INTO stage_requests VALUES (?, ?)",
                         (row["id"], vault.seal("requests", "wishes", row["id"], json.dumps(wishes))))


# What was kept to its UTC day before schema 12: (table, column).
UTC_DAYS = (
    ("people", "created_at"), ("messages", "written_on"), ("drafts", "created_at"), ("prompts", "created_at"),
    ("case_notes", "created_at"), ("case_referrals", "created_at"), ("feedback", "created_at"),
    ("audit_log", "at"), ("inbox", "received_at"), ("inbox", "not_before"), ("outbox", "created_at"),
    ("outbox", "not_before"), ("removals", "created_at"), ("oncall", "created_at"), ("volunteers", "created_at"),
    ("team_signals", "created_at"), ("review_votes", "at"), ("suggestions", "created_at"),
    ("signals", "answered_at"), ("actions", "created_at"), ("actions", "updated_at"), ("actions", "closed_at"),
    ("action_updates", "at"), ("news", "created_at"), ("news", "published_at"),
)
_BARE_DAY = "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]"


async def _organisation_days(db: Database, vault: Vault) -> None:
    """Schema 12: a UTC day D becomes the organisation's date of D 12:00 UTC (see the migration
    file for why). Only bare days move; a column holding instants keeps them. Each column moves in
    one statement, from a map of its days: moved one by one, a day D moved to D+1 would move again
    at D+1's turn (at UTC+12 and beyond, where every day moves)."""
    tables = {r[0] for r in await db.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")}
    await db.execute("CREATE TEMP TABLE stage_days (utc TEXT PRIMARY KEY, placed TEXT NOT NULL)")
    for table, column in UTC_DAYS:
        if table not in tables:
            continue
        await db.execute("DELETE FROM stage_days")
        for (day,) in await db.fetchall(
                f"SELECT DISTINCT {column} FROM {table} WHERE {column} GLOB '{_BARE_DAY}'"):  # noqa: S608
            placed = db.calendar.date_of(datetime.fromisoformat(f"{day}T12:00:00+00:00")).isoformat()
            if placed != day:
                await db.execute("INSERT INTO stage_days VALUES (?, ?)", (day, placed))
        await db.execute(f"UPDATE {table} SET {column} = (SELECT placed FROM stage_days WHERE utc = {column})"  # noqa: S608
                         f" WHERE {column} IN (SELECT utc FROM stage_days)")
    await db.execute("DROP TABLE stage_days")


FIGURES_EPOCH = "figures_epoch"


async def _closed_periods(db: Database, vault: Vault) -> None:
    """Schema 20. Two things SQL cannot do:

    - Digests made before this version released 13-week windows, up to their slot day. Figures of
      closed periods must not overlap them without an audit of both together, which the old
      windows cannot be part of. So when such digests exist, the first period ever counted is the
      first whole month that begins on or after the last old digest's day (meta 'figures_epoch');
      its quarter is released only when it begins on or after that day too.
    - A team signal now counts once per account and quarter: each live signal gets the dedupe key
      of its account and the quarter of its day (the account is found by trying every person's
      old key; the hash links nothing without the key)."""
    last = await db.fetchval("SELECT MAX(slot_at) FROM digests")
    if last is not None:
        day = db.calendar.date_of(datetime.fromisoformat(last))
        epoch = day.replace(day=1) if day.day == 1 else \
            (day.replace(day=1) + timedelta(days=32)).replace(day=1)
        await db.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
                         (FIGURES_EPOCH, epoch.isoformat().encode()))
    signals = {bytes(r["dedupe"]): (r["id"], r["created_at"])
               for r in await db.fetchall("SELECT id, dedupe, created_at FROM team_signals")}
    if not signals:
        return
    for (person_id,) in await db.fetchall("SELECT id FROM people"):
        for old in vault.code_hashes(f"team-signal:{person_id}"):
            if old in signals:
                signal_id, day = signals.pop(old)
                quarter = quarter_of(date.fromisoformat(day)).label
                await db.execute("UPDATE team_signals SET dedupe = ? WHERE id = ?",
                                 (vault.code_hash(f"team-signal:{person_id}:{quarter}"), signal_id))


BEFORE: dict[int, Callable[[Database, Vault], Awaitable[None]]] = {
    5: _seal_metadata, 12: _organisation_days, 20: _closed_periods}
