"""The steering group's follow-up in words and buttons: the list of actions, an action's card with
its dated history, a signal with its answers, and the new-action wizard's questions.

Pure: what the tracker found in, (text, button rows) out, in the reader's language.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot.foundations import callbacks
from bot.foundations.i18n import Translator
from bot.foundations.model import Button
from bot.foundations.storage.actions import Action, Signal, Update
from bot.foundations.vocab import (
    ACTION_STATUS,
    EFFECTS,
    FEASIBILITY,
    PRIORITY_NAMES,
    SIGNAL_ANSWERS,
    URGENCY,
    priority,
)
from bot.steering.digest.render import Words
from bot.steering.digest.schedule import parse_week

from .followup import signal_label
from .tracker import STEPS, Card, next_step

Rows = tuple[tuple[Button, ...], ...]
BUTTON_WIDTH = 48


def short(label: str, limit: int = BUTTON_WIDTH) -> str:
    """A button label that fits a phone's width."""
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def _week(t: Translator, label: str) -> str:
    parsed = parse_week(label)
    return t("week {week} of {year}", week=parsed[1], year=parsed[0]) if parsed else label


def _day(t: Translator, day: date) -> str:
    return t.day(day)


def signal_name(words: Words, signal: Signal) -> str:
    return signal_label(words, signal.dep, signal.dep_name, signal.theme)


def signal_state(t: Translator, signal: Signal, actions: Sequence[Action] = ()) -> str:
    """How the steering group answered a signal, in a few words."""
    if actions:
        states = ", ".join(t(ACTION_STATUS[a.status]) for a in actions)
        return t("action: {states}", states=states) if len(actions) == 1 else t("actions: {states}", states=states)
    if signal.answer is None:
        return t("no answer yet")
    return t(SIGNAL_ANSWERS[signal.answer])


# Signals ---------------------------------------------------------------------------------------

def week_signals(words: Words, week: str, signals: Sequence[tuple[Signal, Sequence[Action]]]) -> tuple[str, Rows]:
    t = words.t
    lines = [t("The signals of the digest of {week}. Tap one to acknowledge it, say “not now” with a reason, "
               "or open an action.", week=_week(t, week))]
    rows = []
    for number, (signal, actions) in enumerate(signals, 1):
        lines.append(f"{number}. " + t("{label}: {value}", label=signal_name(words, signal),
                                       value=signal_state(t, signal, actions)))
        rows.append(((short(f"{number}. {signal_name(words, signal)}"), callbacks.SIGNAL_SHOW(signal.id)),))
    if not signals:
        lines.append(t("This digest reported no signal."))
    return "\n".join(lines), tuple(rows)  # below the digest, which stays: no way "back" to it needed


def open_signals(words: Words, signals: Sequence[Signal]) -> tuple[str, Rows]:
    t = words.t
    lines = [t("Signals the network reported that have no answer yet:")]
    rows = []
    for signal in signals:
        lines.append("• " + t("{signal} (reported since {week})", signal=signal_name(words, signal),
                              week=_week(t, signal.first_week)))
        rows.append(((short(signal_name(words, signal)), callbacks.SIGNAL_SHOW(signal.id)),))
    if not signals:
        lines.append("• " + t("None: every signal has an answer."))
    rows.append(((t("Back to the actions"), callbacks.ACTIONS("open")),))
    return "\n".join(lines), tuple(rows)


def signal_card(words: Words, signal: Signal, actions: Sequence[Action], newest: str, *, editable: bool
                ) -> tuple[str, Rows]:
    t = words.t
    lines = [f"🔔 {signal_name(words, signal)}"]
    if signal.first_week == signal.last_week:
        lines.append(t("Reported by the network in the digest of {week}.", week=_week(t, signal.first_week)))
    else:
        lines.append(t("Reported by the network in the digests from {first} to {last}.",
                       first=_week(t, signal.first_week), last=_week(t, signal.last_week)))
    if newest and signal.last_week < newest:
        lines.append(t("The latest digest no longer reports it; you can still answer it."))
    if signal.answer == "acknowledged":
        lines.append(t("Acknowledged on {day}.", day=t.day(date.fromisoformat(signal.answered_at))))
    elif signal.answer == "not_now":
        lines.append(t("Not now (since {day}): “{reason}”", day=t.day(date.fromisoformat(signal.answered_at)),
                       reason=signal.reason))
    for action in actions:
        lines.append("• " + t("Action “{title}”: {state}", title=action.title, state=t(ACTION_STATUS[action.status])))
    if not actions and signal.answer is None:
        lines.append(t("No answer yet."))
    rows: list[tuple[Button, ...]] = []
    for action in actions:
        rows.append(((short("📌 " + action.title), callbacks.ACTION_SHOW(action.id)),))
    if editable:
        rows.append(((t("Acknowledge"), callbacks.SIGNAL_ANSWER(signal.id, "ack")),
                     (t("Not now…"), callbacks.SIGNAL_ANSWER(signal.id, "later"))))
        rows.append(((t("Open an action"), callbacks.SIGNAL_ANSWER(signal.id, "act")),))
    rows.append(((t("Signals without an answer"), callbacks.SIGNALS_OPEN()),))
    return "\n".join(lines), tuple(rows)


# Actions ---------------------------------------------------------------------------------------

def _action_line(t: Translator, action: Action, today: date) -> str:
    due = _day(t, action.due)
    if action.is_open:
        when = t("overdue since {day}", day=due) if action.due < today else t("due {day}", day=due)
        return t("“{title}” ({owner}) · {state} · {when}", title=action.title, owner=action.owner,
                 state=t(ACTION_STATUS[action.status]), when=when)
    effect = t(EFFECTS[action.effect]).lower() if action.effect else "–"
    return t("“{title}” ({owner}) · {state} on {day} · effect: {effect}", title=action.title, owner=action.owner,
             state=t(ACTION_STATUS[action.status]), day=_day(t, action.closed_at), effect=effect)


def listing(words: Words, open_ones: Sequence[Action], closed: Sequence[Action], waiting: int, today: date, *,
            show_closed: bool = False) -> tuple[str, Rows]:
    """/actions: the open actions by priority (or the closed ones), and the signals waiting for an answer."""
    t = words.t
    rows: list[tuple[Button, ...]] = []
    if show_closed:
        lines = [t("📌 Closed actions of the steering group")]
        for action in closed:
            lines.append("• " + _action_line(t, action, today))
            rows.append(((short(action.title), callbacks.ACTION_SHOW(action.id)),))
        if not closed:
            lines.append("• " + t("None yet."))
        rows.append(((t("Open actions"), callbacks.ACTIONS("open")),))
        return "\n".join(lines), tuple(rows)
    lines = [t("📌 Actions of the steering group")]
    for kind in ("priority", "challenge"):
        items = [a for a in open_ones if priority(a.urgency, a.feasibility) == kind]
        if items:
            lines.append(t(PRIORITY_NAMES[kind]) + ":")
            for action in items:
                lines.append("• " + _action_line(t, action, today))
                rows.append(((short(action.title), callbacks.ACTION_SHOW(action.id)),))
    if not open_ones:
        lines.append(t("No open action. Open one from a signal: the digest's “Answer the signals”, or below."))
    lines.append(t("Signals without an answer: {n}. Closed actions: {closed}.", n=waiting, closed=len(closed)))
    rows.append(((t("Signals without an answer ({n})", n=waiting), callbacks.SIGNALS_OPEN()),))
    if closed:
        rows.append(((t("Closed actions ({n})", n=len(closed)), callbacks.ACTIONS("closed")),))
    return "\n".join(lines), tuple(rows)


def _update_line(t: Translator, update: Update) -> str:
    parts = []
    if update.status:
        parts.append(t(ACTION_STATUS[update.status]))
    if update.effect:
        parts.append(t("effect: {effect}", effect=t(EFFECTS[update.effect]).lower()))
    if update.due and update.status != "planned":
        parts.append(t("new due date {day}", day=t.day(update.due)))
    if update.note:
        parts.append(f"“{update.note}”")
    return t("{day}: {what}", day=t.day(update.at), what=", ".join(parts))


def card(words: Words, found: Card, today: date) -> tuple[str, Rows]:
    """One action: what, who, how urgent and feasible, how, feedback, when, its history."""
    t, action = words.t, found.action
    kind = priority(action.urgency, action.feasibility)
    lines = [f"📌 “{action.title}”"]
    lines.append(t("Signal: {signal}", signal=signal_name(words, found.signal)) if found.signal
                 else t("Not opened from a signal."))
    lines.append(t("Owner: {owner}", owner=action.owner))
    lines.append(t("{kind} · urgency: {urgency} · feasibility: {feasibility}", kind=t(PRIORITY_NAMES[kind]),
                   urgency=t(URGENCY[action.urgency]).lower(), feasibility=t(FEASIBILITY[action.feasibility]).lower()))
    if action.plan:
        lines.append(t("How: {text}", text=action.plan))
    if action.feedback:
        lines.append(t("Feedback: {text}", text=action.feedback))
    due = t.day(action.due)
    if action.is_open:
        lines.append(t("Status: {state} · due {day}", state=t(ACTION_STATUS[action.status]), day=due)
                     + (" · " + t("⏰ overdue") if action.due < today else ""))
        lines.append(t("Followed up by: {name}", name=found.keeper_name or t("a steering member")))
    else:
        lines.append(t("Status: {state} on {day} · effect: {effect}", state=t(ACTION_STATUS[action.status]),
                       day=t.day(action.closed_at), effect=t(EFFECTS[action.effect]).lower() if action.effect else "–"))
    lines.append(t("History:"))
    lines += ["• " + _update_line(t, u) for u in found.updates]
    rows: list[tuple[Button, ...]] = []
    if found.editable:
        if action.status == "planned":
            rows.append(((t("In progress"), callbacks.ACTION_STATUS(action.id, "in_progress")),))
        rows.append(((t("Done"), callbacks.ACTION_STATUS(action.id, "done")),
                     (t("Dropped"), callbacks.ACTION_STATUS(action.id, "dropped"))))
        rows.append(((t("Add an update"), callbacks.ACTION_NOTE(action.id)),
                     (t("New due date"), callbacks.ACTION_DUE(action.id))))
        rows.append(((t("I follow this up"), callbacks.ACTION_KEEP(action.id)),))
    elif action.status == "done":
        rows.append(((t("Tell staff: “you said, we did”"), callbacks.ACTION_TELL(action.id)),))
    if found.signal is not None:
        rows.append(((t("The signal"), callbacks.SIGNAL_SHOW(found.signal.id)),))
    rows.append(((t("All actions"), callbacks.ACTIONS("open" if action.is_open else "closed")),))
    return "\n".join(lines), tuple(rows)


def effect_question(t: Translator, action: Action, status: str) -> tuple[str, Rows]:
    text = (t("“{title}” is done. What is its effect so far?", title=action.title) if status == "done" else
            t("“{title}” is dropped. What was its effect?", title=action.title))
    rows = tuple(((t(label), callbacks.ACTION_EFFECT(action.id, status, key)),) for key, label in EFFECTS.items())
    return text, rows + (((t("Back"), callbacks.ACTION_SHOW(action.id)),),)


# The wizard --------------------------------------------------------------------------------------

def question(words: Words, draft: dict, signal: Signal | None) -> tuple[str, Rows]:
    """The wizard's next question, with its step number and buttons (Cancel on every step)."""
    t = words.t
    step = next_step(draft)
    cancel = ((t("Cancel"), callbacks.ACTION_SAVE("cancel")),)
    if step == "confirm":
        return summary(words, draft, signal), (((t("Save the action"), callbacks.ACTION_SAVE("save")),), cancel)
    number = STEPS.index(step) + 1
    head = t("Step {n} of {total}.", n=number, total=len(STEPS))
    if step == "title":
        about = t("New action on {signal}.", signal=signal_name(words, signal)) if signal else t("New action.")
        return "\n\n".join([about, head + " " + t("What will be done? One line: it is the action's title.")]), (cancel,)
    if step == "owner":
        return head + " " + t("Who carries it? A function, not a person's name: for example “production manager” "
                              "or “HR”."), (cancel,)
    if step == "urgency":
        return head + " " + t("How urgent is it?"), tuple(
            ((t(label), callbacks.ACTION_URGENCY(key)),) for key, label in URGENCY.items()) + (cancel,)
    if step == "feasibility":
        return head + " " + t("How feasible is it with the means at hand: a quick win, or structural work for the "
                              "long term?"), tuple(
            ((t(label), callbacks.ACTION_FEASIBILITY(key)),) for key, label in FEASIBILITY.items()) + (cancel,)
    if step == "due":
        return head + " " + t("By when? Type a date (for example 31/12/2026), or choose:"), (
            ((t("In 1 month"), callbacks.ACTION_DUE_IN("1")), (t("In 3 months"), callbacks.ACTION_DUE_IN("3")),
             (t("In 6 months"), callbacks.ACTION_DUE_IN("6"))), cancel)
    if step == "plan":
        return head + " " + t("How will it be done, and who else takes part? A few sentences, or skip."), (
            ((t("Skip"), callbacks.ACTION_SKIP()),), cancel)
    return head + " " + t("How will feedback follow: who tells the network and staff what came of it, and when? "
                          "Or skip."), (((t("Skip"), callbacks.ACTION_SKIP()),), cancel)


def summary(words: Words, draft: dict, signal: Signal | None) -> str:
    t = words.t
    kind = priority(draft["urgency"], draft["feasibility"])
    lines = [t("The new action:"), f"📌 “{draft['title']}”"]
    if signal is not None:
        lines.append(t("Signal: {signal}", signal=signal_name(words, signal)))
    lines += [t("Owner: {owner}", owner=draft["owner"]),
              t("{kind} · urgency: {urgency} · feasibility: {feasibility}", kind=t(PRIORITY_NAMES[kind]),
                urgency=t(URGENCY[draft["urgency"]]).lower(),
                feasibility=t(FEASIBILITY[draft["feasibility"]]).lower()),
              t("Due: {day}", day=t.day(date.fromisoformat(draft["due"])))]
    if draft.get("plan"):
        lines.append(t("How: {text}", text=draft["plan"]))
    if draft.get("feedback"):
        lines.append(t("Feedback: {text}", text=draft["feedback"]))
    lines.append(t("Save it?"))
    return "\n".join(lines)


__all__ = ["listing", "card", "signal_card", "week_signals", "open_signals", "question", "summary",
           "effect_question", "signal_name", "signal_state", "short"]
