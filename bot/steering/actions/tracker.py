"""The steering group acts on signals: acknowledge one, say "not now" with a reason, or open an
action, then follow it up until it is closed with its effect.

An action says what will be done (its title), who carries it (a function, never a name: the
owner), how urgent and how feasible it is (004:1866-1895: priorities with a schedule and
long-term challenges, quick wins and structural work), how it will be done and how feedback
will follow (004:2930-2936), and when (a due date). Its status moves planned -> in progress ->
done or dropped; every update is dated, and closing asks for the effect (004:3248-3272).

Only steering members change anything; coordinators read. Every call re-reads the person's
role and the action inside its own transaction, so an old or forged button changes nothing.
Every text is the steering group's own words, sealed; nothing from a case enters here.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from bot.foundations import callbacks, clock
from bot.foundations.core import Core
from bot.foundations.i18n import Translator
from bot.foundations.model import Payload, Person, Result
from bot.foundations.storage.actions import Action, Signal, Update
from bot.foundations.vocab import EFFECTS, FEASIBILITY, URGENCY, priority_rank
from bot.network.membership import parse_date
from bot.steering.digest.render import Words
from bot.steering.digest.schedule import Slot

from . import followup

log = logging.getLogger(__name__)

MAX_TITLE = 120
MAX_OWNER = 60
MAX_TEXT = 500      # how, feedback, an update's note
MAX_REASON = 300    # why "not now"
STEPS = ("title", "owner", "urgency", "feasibility", "due", "plan", "feedback")
OPTIONAL = ("plan", "feedback")
REMIND_AT = time(9, 0)  # the reminder goes in the morning, in the organisation's time zone


@dataclass(frozen=True)
class Step:
    """The wizard after an answer: the draft with it, or why it was refused (draft unchanged)."""

    result: Result
    draft: dict | None = None


def next_step(draft: dict) -> str:
    """The first step the draft has no answer for; 'confirm' when it is complete."""
    return next((name for name in STEPS if name not in draft), "confirm")


def clean(text: str, limit: int, low: int = 1) -> tuple[Result, str]:
    """One line of the steering group's words: spaces folded, within its limits."""
    text = " ".join((text or "").split())
    if len(text) < low:
        return Result.EMPTY, ""
    if len(text) > limit:
        return Result.TOO_LONG, ""
    return Result.OK, text


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)


@dataclass(frozen=True)
class Card:
    action: Action
    updates: list[Update]
    signal: Signal | None
    keeper_name: str | None
    editable: bool   # a steering member may change it (coordinators read)


class ActionTracker:
    def __init__(self, core: Core) -> None:
        self.core = core
        self.settings = core.settings

    # Who may ---------------------------------------------------------------------------------

    @staticmethod
    def may_read(person: Person) -> bool:
        return person.is_steering or person.is_coordinator

    def today(self) -> date:
        return self.core.calendar.today()

    # Signals: recorded with the digest that publishes them ----------------------------------

    async def record_signals(self, week: str, published: dict) -> int:
        """Inside the digest's transaction: every signal it publishes gets (or keeps) its row."""
        deps = published.get("deps", {})
        for signal in published.get("signals", []):
            await self.core.actions.record_signal(signal["dep"], deps.get(signal["dep"]), signal["theme"], week)
        return len(published.get("signals", []))

    def words(self, t: Translator) -> Words:
        return Words(t, self.core.charter, self.settings.departments)

    async def week_signals(self, person: Person, week: str) -> tuple[Result, list[tuple[Signal, list[Action]]]]:
        """The signals a digest published, each with its actions so far (steering members only)."""
        if not person.is_steering:
            return Result.NOT_ALLOWED, []
        stored = await self.core.digests.get(week)
        if stored is None:
            return Result.NOT_FOUND, []
        found = []
        for item in stored.published.get("signals", []):
            if (signal := await self.core.actions.signal_of(item["dep"], item["theme"])) is not None:
                found.append((signal, await self.core.actions.of_signal(signal.id)))
        return Result.OK, found

    async def unanswered(self, person: Person) -> tuple[Result, list[Signal]]:
        if not self.may_read(person):
            return Result.NOT_ALLOWED, []
        return Result.OK, [s for s in await self.core.actions.signals() if not s.answered]

    async def signal_view(self, person: Person, signal_id: int) -> tuple[Result, Signal | None, list[Action], str]:
        """A signal, its actions, and the newest digest's week (to tell whether it is still reported)."""
        if not self.may_read(person):
            return Result.NOT_ALLOWED, None, [], ""
        signal = await self.core.actions.signal(signal_id)
        if signal is None:
            return Result.NOT_FOUND, None, [], ""
        return Result.OK, signal, await self.core.actions.of_signal(signal.id), \
            await self.core.digests.newest_week() or ""

    async def answer_signal(self, person: Person, signal_id: int, answer: str, reason: str | None = None
                            ) -> Result:
        """Acknowledge a signal, or say "not now" with a reason in the steering group's words."""
        if not person.is_steering:
            return Result.NOT_ALLOWED
        if answer == "not_now":
            result, reason = clean(reason or "", MAX_REASON)
            if result is not Result.OK:
                return result
        async with self.core.db.transaction():
            if await self.core.actions.signal(signal_id) is None:
                return Result.NOT_FOUND
            await self.core.actions.answer_signal(signal_id, answer, person.id, reason if answer == "not_now" else None)
        log.info("signal %d answered: %s", signal_id, answer)
        return Result.OK

    # A new action: the wizard's answers, checked at every step and once more when saved ---------

    async def begin(self, person: Person, signal_id: int | None) -> Result:
        if not person.is_steering:
            return Result.NOT_ALLOWED
        if signal_id is not None and await self.core.actions.signal(signal_id) is None:
            return Result.NOT_FOUND
        return Result.OK

    def wizard_text(self, draft: dict, text: str) -> Step:
        """A typed answer to the step the wizard is at."""
        step = next_step(draft)
        if step in ("title", "owner", *OPTIONAL):
            limit = {"title": MAX_TITLE, "owner": MAX_OWNER}.get(step, MAX_TEXT)
            result, value = clean(text, limit, low=2 if step in ("title", "owner") else 1)
            return Step(result, {**draft, step: value} if result is Result.OK else None)
        if step == "due":
            result, due = self.due_from_text(text)
            return Step(result, {**draft, "due": due.isoformat()} if result is Result.OK else None)
        return Step(Result.UNKNOWN)  # a step answered with a button

    def wizard_choice(self, draft: dict, step: str, value: str) -> Step:
        """A button's answer; only for the step the wizard is at (an old button changes nothing)."""
        if next_step(draft) != step:
            return Step(Result.ALREADY)
        if step == "urgency" and value in URGENCY or step == "feasibility" and value in FEASIBILITY:
            return Step(Result.OK, {**draft, step: value})
        if step == "due" and value in ("1", "3", "6"):
            return Step(Result.OK, {**draft, "due": add_months(self.today(), int(value)).isoformat()})
        if step in OPTIONAL and value == "":
            return Step(Result.OK, {**draft, step: ""})
        return Step(Result.UNKNOWN)

    def due_from_text(self, text: str) -> tuple[Result, date | None]:
        moment = parse_date(text, self.settings.timezone)
        if moment is None:
            return Result.INVALID, None
        due = self.core.calendar.date_of(moment)
        if due < self.today():
            return Result.PAST, None
        if due > self.today() + timedelta(days=3 * 366):
            return Result.INVALID, None
        return Result.OK, due

    def remind_at(self, due: date) -> datetime | None:
        """The keeper's reminder: WAAKZAAM_ACTION_REMINDER_DAYS before the due date, in the morning.
        None when that moment has passed already (a due date that near was just set by them)."""
        moment = self.core.calendar.at(due - timedelta(days=self.settings.action_reminder_days), REMIND_AT)
        return moment if moment > clock.now() else None

    async def open_action(self, person: Person, draft: dict, origin: int | None = None) -> tuple[Result, int | None]:
        """Save the wizard's action. Everything is checked again: the role, the signal, the texts
        and a due date that may have passed while the wizard was open."""
        if not person.is_steering:
            return Result.NOT_ALLOWED, None
        if next_step(draft) != "confirm":
            return Result.INVALID, None
        async with self.core.db.transaction():
            if (done := await self.core.actions.by_origin(origin)) is not None:
                return Result.OK, done
            signal_id = draft.get("signal")
            if signal_id is not None and await self.core.actions.signal(signal_id) is None:
                return Result.NOT_FOUND, None
            texts = {}
            for name, limit, low in (("title", MAX_TITLE, 2), ("owner", MAX_OWNER, 2), ("plan", MAX_TEXT, 0),
                                     ("feedback", MAX_TEXT, 0)):
                result, texts[name] = clean(draft.get(name, ""), limit, low)
                if result is not Result.OK and not (low == 0 and result is Result.EMPTY):
                    return Result.INVALID, None
            if draft.get("urgency") not in URGENCY or draft.get("feasibility") not in FEASIBILITY:
                return Result.INVALID, None
            try:
                due = date.fromisoformat(draft["due"])
            except (TypeError, ValueError):
                return Result.INVALID, None
            if due < self.today():
                return Result.PAST, None
            action_id = await self.core.actions.add(
                signal_id=signal_id, urgency=draft["urgency"], feasibility=draft["feasibility"], due=due,
                by=person.id, remind_at=self.remind_at(due), origin=origin, **texts)
        log.info("action %d opened", action_id)
        return Result.OK, action_id

    # Following it up ----------------------------------------------------------------------------

    async def _changeable(self, person: Person, action_id: int) -> tuple[Result, Action | None]:
        if not person.is_steering:
            return Result.NOT_ALLOWED, None
        action = await self.core.actions.get(action_id)
        if action is None:
            return Result.NOT_FOUND, None
        if not action.is_open:
            return Result.CLOSED, action
        return Result.OK, action

    async def start(self, person: Person, action_id: int) -> Result:
        """Planned -> in progress."""
        async with self.core.db.transaction():
            result, action = await self._changeable(person, action_id)
            if result is not Result.OK:
                return result
            if action.status == "in_progress":
                return Result.ALREADY
            await self.core.actions.update(action.id, by=person.id, status="in_progress")
        return Result.OK

    async def close(self, person: Person, action_id: int, status: str, effect: str) -> Result:
        """Done or dropped, with its effect (better, unchanged, worse, too early to say)."""
        if status not in ("done", "dropped") or effect not in EFFECTS:
            return Result.UNKNOWN
        async with self.core.db.transaction():
            result, action = await self._changeable(person, action_id)
            if result is not Result.OK:
                return result
            await self.core.actions.update(action.id, by=person.id, status=status, effect=effect)
        log.info("action %d closed: %s", action_id, status)
        return Result.OK

    async def may_change(self, person: Person, action_id: int) -> Result:
        result, _ = await self._changeable(person, action_id)
        return result

    async def add_note(self, person: Person, action_id: int, text: str, origin: int | None = None) -> Result:
        result, note = clean(text, MAX_TEXT)
        if result is not Result.OK:
            return result
        async with self.core.db.transaction():
            if await self.core.actions.update_by_origin(origin) == action_id:
                return Result.OK
            result, action = await self._changeable(person, action_id)
            if result is not Result.OK:
                return result
            await self.core.actions.update(action.id, by=person.id, note=note, origin=origin)
        return Result.OK

    async def set_due(self, person: Person, action_id: int, text: str) -> Result:
        result, due = self.due_from_text(text)
        if result is not Result.OK:
            return result
        async with self.core.db.transaction():
            result, action = await self._changeable(person, action_id)
            if result is not Result.OK:
                return result
            if action.due == due:
                return Result.ALREADY
            await self.core.actions.update(action.id, by=person.id, due=due, remind_at=self.remind_at(due))
        return Result.OK

    async def keep(self, person: Person, action_id: int) -> Result:
        """This steering member follows the action up from now on (and gets its reminder)."""
        async with self.core.db.transaction():
            result, action = await self._changeable(person, action_id)
            if result is not Result.OK:
                return result
            if action.keeper == person.id:
                return Result.ALREADY
            await self.core.actions.set_keeper(action.id, person.id)
        return Result.OK

    # Reading ------------------------------------------------------------------------------------

    async def listing(self, person: Person) -> tuple[Result, list[Action], list[Action], int]:
        """Open actions by priority, closed ones newest first, and how many signals wait for an answer."""
        if not self.may_read(person):
            return Result.NOT_ALLOWED, [], [], 0
        everything = await self.core.actions.all()
        open_ones = sorted((a for a in everything if a.is_open),
                           key=lambda a: (priority_rank(a.urgency, a.feasibility), a.due, a.id))
        closed = sorted((a for a in everything if not a.is_open), key=lambda a: (a.closed_at, a.id), reverse=True)
        waiting = sum(not s.answered for s in await self.core.actions.signals())
        return Result.OK, open_ones, closed, waiting

    async def card(self, person: Person, action_id: int) -> tuple[Result, Card | None]:
        if not self.may_read(person):
            return Result.NOT_ALLOWED, None
        action = await self.core.actions.get(action_id)
        if action is None:
            return Result.NOT_FOUND, None
        signal = await self.core.actions.signal(action.signal_id) if action.signal_id else None
        keeper = await self.core.people.name(action.keeper) if action.keeper else None
        return Result.OK, Card(action, await self.core.actions.updates(action.id), signal, keeper,
                               person.is_steering and action.is_open)

    # The digest's section, and the reminders ---------------------------------------------------

    async def section(self, slot: Slot) -> dict:
        """The follow-up as the digest of this slot shows it (see followup.py)."""
        open_actions = await self.core.actions.open_ones()
        signals = {s.id: s for s in await self.core.actions.signals()}
        unanswered = await self.core.actions.unanswered(slot.week)
        return followup.section(open_actions, signals, unanswered, today=slot.day, week=slot.week,
                                stall_days=self.settings.action_stall_days,
                                unanswered_weeks=self.settings.unanswered_weeks)

    async def sweep(self, now: datetime | None = None) -> int:
        """Reminders due before a due date: to the steering member who follows the action up (to
        every steering member when nobody does any more). Sent once, recorded with its messages."""
        now = now or clock.now()
        sent = 0
        for action in await self.core.actions.due_reminders(now):
            async with self.core.db.transaction():
                if not await self.core.actions.mark_reminded(action.id, now):
                    continue
                steering = await self.core.people.with_role("steering")
                to = [action.keeper] if action.keeper in steering else steering
                for person_id in to:
                    t = await self.core.translator(person_id)
                    await self.core.outbox.enqueue(person_id, Payload(self.reminder_text(t, action), (
                        ((t("Open the action"), callbacks.ACTION_SHOW(action.id)),),), protect=True))
            sent += 1
        if sent:
            log.info("actions: %d due-date reminder(s)", sent)
        return sent

    def reminder_text(self, t: Translator, action: Action) -> str:
        due = t.day(action.due)
        return t("⏰ The action “{title}” (owner: {owner}) is due on {day}. Is it on track? Update it, or set a new "
                 "due date.", title=action.title, owner=action.owner, day=due)


__all__ = ["ActionTracker", "Card", "Step", "next_step", "clean", "add_months", "STEPS", "MAX_TITLE", "MAX_OWNER",
           "MAX_TEXT", "MAX_REASON"]
