"""The steering group's follow-up: the signals it saw, its answers, its actions and their updates.

Every text here is the steering group's own words (a reason for "not now", an action's title,
owner, plan and feedback, an update's note): sealed, bound to its row. Nothing from a case.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.foundations import clock
from bot.foundations.crypto import Vault

from .database import Database
from .sealed import by_origin, insert_sealed, open_or_empty

SIGNAL_ANSWERS = ("acknowledged", "not_now")
STATUSES = ("planned", "in_progress", "done", "dropped")
OPEN = ("planned", "in_progress")


@dataclass(frozen=True)
class Signal:
    id: int
    dep: str
    dep_name: str | None
    theme: str
    first_week: str
    last_week: str
    answer: str | None
    answered_at: str | None
    reason: str
    actions: int = 0  # actions opened on it

    @property
    def answered(self) -> bool:
        return self.answer is not None or self.actions > 0


@dataclass(frozen=True)
class Action:
    id: int
    signal_id: int | None
    title: str
    owner: str
    plan: str
    feedback: str
    urgency: str
    feasibility: str
    due: date
    status: str
    effect: str | None
    keeper: int | None
    opened_by: int | None
    created_at: date
    updated_at: date
    closed_at: date | None
    remind_at: datetime | None
    reminded: bool

    @property
    def is_open(self) -> bool:
        return self.status in OPEN


@dataclass(frozen=True)
class Update:
    id: int
    action_id: int
    at: date
    by: int | None
    status: str | None
    effect: str | None
    due: date | None
    note: str


def _day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text[:10])


class ActionRepository:
    def __init__(self, db: Database, vault: Vault) -> None:
        self.db = db
        self.vault = vault

    def _open(self, table: str, column: str, row_id: int, value: bytes | None) -> str:
        return open_or_empty(self.vault, table, column, row_id, value)

    # Signals ------------------------------------------------------------------------------

    async def record_signal(self, dep: str, dep_name: str | None, theme: str, week: str) -> int:
        """A signal a digest of `week` publishes: a new row, or its last week moved on."""
        await self.db.execute(
            "INSERT INTO signals (dep, dep_name, theme, first_week, last_week) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (dep, theme) DO UPDATE SET last_week = MAX(last_week, excluded.last_week),"
            " dep_name = COALESCE(excluded.dep_name, dep_name)", (dep, dep_name, theme, week, week))
        return await self.db.fetchval("SELECT id FROM signals WHERE dep = ? AND theme = ?", (dep, theme))

    def _signal(self, row) -> Signal:
        return Signal(row["id"], row["dep"], row["dep_name"], row["theme"], row["first_week"], row["last_week"],
                      row["answer"], row["answered_at"], self._open("signals", "reason", row["id"], row["reason_enc"]),
                      row["actions"])

    _SIGNALS = ("SELECT s.*, (SELECT COUNT(*) FROM actions a WHERE a.signal_id = s.id) AS actions FROM signals s")

    async def signal(self, signal_id: int) -> Signal | None:
        row = await self.db.fetchone(f"{self._SIGNALS} WHERE s.id = ?", (signal_id,))
        return None if row is None else self._signal(row)

    async def signal_of(self, dep: str, theme: str) -> Signal | None:
        row = await self.db.fetchone(f"{self._SIGNALS} WHERE s.dep = ? AND s.theme = ?", (dep, theme))
        return None if row is None else self._signal(row)

    async def signals(self) -> list[Signal]:
        """Every signal, newest first."""
        rows = await self.db.fetchall(f"{self._SIGNALS} ORDER BY s.last_week DESC, s.id DESC")
        return [self._signal(r) for r in rows]

    async def unanswered(self, first_week_before: str) -> list[Signal]:
        """Signals first reported before that week with no answer and no action, oldest first."""
        rows = await self.db.fetchall(
            f"{self._SIGNALS} WHERE s.answer IS NULL AND s.first_week < ?"
            " AND NOT EXISTS (SELECT 1 FROM actions a WHERE a.signal_id = s.id) ORDER BY s.first_week, s.id",
            (first_week_before,))
        return [self._signal(r) for r in rows]

    async def answer_signal(self, signal_id: int, answer: str, by: int, reason: str | None = None,
                            day: str | None = None) -> bool:
        if answer not in SIGNAL_ANSWERS:
            raise ValueError(answer)
        sealed = self.vault.seal("signals", "reason", signal_id, reason) if reason else None
        return 1 == await self.db.execute(
            "UPDATE signals SET answer = ?, answered_by = ?, answered_at = ?, reason_enc = ? WHERE id = ?",
            (answer, by, day or self.db.calendar.day(), sealed, signal_id))

    async def reported_between(self, first_week: str, last_week: str) -> list[Signal]:
        """Signals some digest of these weeks published (first <= week <= last)."""
        rows = await self.db.fetchall(
            f"{self._SIGNALS} WHERE s.first_week <= ? AND s.last_week >= ? ORDER BY s.first_week, s.id",
            (last_week, first_week))
        return [self._signal(r) for r in rows]

    # Actions --------------------------------------------------------------------------------

    async def add(self, *, signal_id: int | None, title: str, owner: str, plan: str, feedback: str, urgency: str,
                  feasibility: str, due: date, by: int, remind_at: datetime | None, origin: int | None = None,
                  day: str | None = None) -> int:
        day = day or self.db.calendar.day()
        async with self.db.transaction():
            sealed = {"title": title, "owner": owner}
            if plan:
                sealed["plan"] = plan
            if feedback:
                sealed["feedback"] = feedback
            action_id = await insert_sealed(
                self.db, self.vault, "actions",
                {"signal_id": signal_id, "urgency": urgency, "feasibility": feasibility, "due": due.isoformat(),
                 "keeper": by, "opened_by": by, "created_at": day, "updated_at": day,
                 "remind_at": clock.iso(remind_at) if remind_at else None, "origin": origin}, sealed)
            await self.db.execute(
                "INSERT INTO action_updates (action_id, at, by, status, due) VALUES (?, ?, ?, 'planned', ?)",
                (action_id, day, by, due.isoformat()))
        return action_id

    async def by_origin(self, origin: int | None) -> int | None:
        return await by_origin(self.db, "actions", origin)

    def _action(self, row) -> Action:
        i = row["id"]
        return Action(i, row["signal_id"], self._open("actions", "title", i, row["title_enc"]),
                      self._open("actions", "owner", i, row["owner_enc"]),
                      self._open("actions", "plan", i, row["plan_enc"]),
                      self._open("actions", "feedback", i, row["feedback_enc"]), row["urgency"], row["feasibility"],
                      _day(row["due"]), row["status"], row["effect"], row["keeper"], row["opened_by"],
                      _day(row["created_at"]), _day(row["updated_at"]), _day(row["closed_at"]),
                      clock.parse(row["remind_at"]) if row["remind_at"] else None, row["reminded_at"] is not None)

    async def get(self, action_id: int) -> Action | None:
        row = await self.db.fetchone("SELECT * FROM actions WHERE id = ?", (action_id,))
        return None if row is None else self._action(row)

    async def all(self) -> list[Action]:
        rows = await self.db.fetchall("SELECT * FROM actions ORDER BY id")
        return [self._action(r) for r in rows]

    async def open_ones(self) -> list[Action]:
        rows = await self.db.fetchall("SELECT * FROM actions WHERE status IN ('planned', 'in_progress') ORDER BY id")
        return [self._action(r) for r in rows]

    async def of_signal(self, signal_id: int) -> list[Action]:
        rows = await self.db.fetchall("SELECT * FROM actions WHERE signal_id = ? ORDER BY id", (signal_id,))
        return [self._action(r) for r in rows]

    async def closed_between(self, first_day: str, end_day: str) -> list[Action]:
        """Actions closed (done or dropped) on a day with first_day <= day < end_day."""
        rows = await self.db.fetchall(
            "SELECT * FROM actions WHERE status IN ('done', 'dropped') AND closed_at >= ? AND closed_at < ?"
            " ORDER BY closed_at, id", (first_day, end_day))
        return [self._action(r) for r in rows]

    async def opened_before(self, end_day: str) -> list[Action]:
        rows = await self.db.fetchall("SELECT * FROM actions WHERE created_at < ? ORDER BY id", (end_day,))
        return [self._action(r) for r in rows]

    async def update(self, action_id: int, *, by: int, status: str | None = None, effect: str | None = None,
                     due: date | None = None, remind_at: datetime | None = None, note: str | None = None,
                     origin: int | None = None, day: str | None = None) -> bool:
        """One dated update; False (and nothing changed) when the action is closed already."""
        day = day or self.db.calendar.day()
        async with self.db.transaction():
            sets, params = ["updated_at = ?"], [day]
            if status is not None:
                if status not in STATUSES:
                    raise ValueError(status)
                sets.append("status = ?")
                params.append(status)
                if status in ("done", "dropped"):
                    sets += ["closed_at = ?", "effect = ?", "remind_at = NULL"]
                    params += [day, effect]
            if due is not None:
                sets += ["due = ?", "remind_at = ?", "reminded_at = NULL"]
                params += [due.isoformat(), clock.iso(remind_at) if remind_at else None]
            if not await self.db.execute(f"UPDATE actions SET {', '.join(sets)} WHERE id = ?"
                                         " AND status IN ('planned', 'in_progress')",
                                         (*params, action_id)):
                return False
            await insert_sealed(self.db, self.vault, "action_updates",
                                {"action_id": action_id, "at": day, "by": by, "status": status, "effect": effect,
                                 "due": due.isoformat() if due else None, "origin": origin},
                                {"note": note} if note else {})
        return True

    async def update_by_origin(self, origin: int | None) -> int | None:
        if origin is None:
            return None
        return await self.db.fetchval("SELECT action_id FROM action_updates WHERE origin = ?", (origin,))

    async def set_keeper(self, action_id: int, person_id: int) -> bool:
        return 1 == await self.db.execute(
            "UPDATE actions SET keeper = ? WHERE id = ? AND status IN ('planned', 'in_progress')",
            (person_id, action_id))

    async def updates(self, action_id: int) -> list[Update]:
        rows = await self.db.fetchall("SELECT * FROM action_updates WHERE action_id = ? ORDER BY id", (action_id,))
        return [Update(r["id"], r["action_id"], _day(r["at"]), r["by"], r["status"], r["effect"], _day(r["due"]),
                       self._open("action_updates", "note", r["id"], r["note_enc"])) for r in rows]

    async def due_reminders(self, now: datetime) -> list[Action]:
        rows = await self.db.fetchall(
            "SELECT * FROM actions WHERE status IN ('planned', 'in_progress') AND remind_at IS NOT NULL"
            " AND remind_at <= ? AND reminded_at IS NULL ORDER BY remind_at, id", (clock.iso(now),))
        return [self._action(r) for r in rows]

    async def mark_reminded(self, action_id: int, now: datetime) -> bool:
        return 1 == await self.db.execute(
            "UPDATE actions SET reminded_at = ? WHERE id = ? AND reminded_at IS NULL", (clock.iso(now), action_id))


__all__ = ["ActionRepository", "Action", "Signal", "Update", "OPEN", "STATUSES", "SIGNAL_ANSWERS"]
