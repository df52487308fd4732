"""The digest's follow-up section: the open actions by priority, how long since each was last
updated, a stall flag, and the signals the network reported that still have no answer.

Pure: the rows in, one dict out. The dict is stored in the digest's published snapshot (sealed
with it: the titles are the steering group's own words), so /digest shows a week's section as
it was. Each open action is listed once, and a stalled one carries the flag once
(WAAKZAAM_ACTION_STALL_DAYS without an update, 004:3121-3123); a signal is listed when it went
WAAKZAAM_UNANSWERED_WEEKS weeks without an answer (004:2793-2801).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from zoneinfo import ZoneInfo

from babel.dates import format_date

from bot.foundations.storage.actions import Action, Signal
from bot.foundations.vocab import ACTION_STATUS, PRIORITY_NAMES, priority, priority_rank
from bot.steering.digest.model import Published
from bot.steering.digest.render import Words
from bot.steering.digest.schedule import parse_week

STALLED = "⚠"
OVERDUE = "⏰"


def weeks_between(first: str, last: str) -> int:
    """Whole weeks from the ISO week `first` to the ISO week `last`."""
    a, b = parse_week(first), parse_week(last)
    if a is None or b is None:
        return 0
    return (date.fromisocalendar(*b, 1) - date.fromisocalendar(*a, 1)).days // 7


def signal_label(words: Words, dep: str, dep_name: str | None, theme: str) -> str:
    """'Production · High workload': the department group and the theme, as the digest names them."""
    if dep_name:
        return f"{words.department(dep_name)} · {words.theme(theme)}"
    return f"{words.dep(dep)} · {words.theme(theme)}"


def section(open_actions: Sequence[Action], signals: Mapping[int, Signal], unanswered: Sequence[Signal], *,
            today: date, week: str, stall_days: int, unanswered_weeks: int) -> dict:
    """What the digest of `week` (its slot on `today`, local) says about the follow-up."""
    listed = []
    for action in sorted(open_actions, key=lambda a: (priority_rank(a.urgency, a.feasibility), a.due, a.id)):
        if not action.is_open:
            continue
        age = max(0, (today - action.updated_at).days)
        signal = signals.get(action.signal_id) if action.signal_id is not None else None
        listed.append({
            "id": action.id, "title": action.title, "owner": action.owner, "urgency": action.urgency,
            "feasibility": action.feasibility, "status": action.status, "due": action.due.isoformat(), "age": age,
            "stalled": age >= stall_days, "overdue": action.due < today,
            "signal": [signal.dep, signal.dep_name, signal.theme] if signal else None,
        })
    late = []
    for signal in unanswered:
        weeks = weeks_between(signal.first_week, week)
        if weeks >= unanswered_weeks and not signal.answered:
            late.append({"id": signal.id, "dep": signal.dep, "dep_name": signal.dep_name, "theme": signal.theme,
                         "since": signal.first_week, "weeks": weeks})
    return {"stall_days": stall_days, "unanswered_weeks": unanswered_weeks, "open": listed, "unanswered": late}


def _age(words: Words, days: int) -> str:
    t = words.t
    if days == 0:
        return t("updated today")
    return t("last update {days} days ago", days=days) if days != 1 else t("last update yesterday")


def action_line(words: Words, item: Mapping, tz: ZoneInfo | None = None) -> str:
    """One open action in the digest: the flag (once), the title, the owner, the status, the age, the due date."""
    t = words.t
    due = format_date(date.fromisoformat(item["due"]), "d MMM y", locale=t.lang)
    state = t(ACTION_STATUS[item["status"]])
    if item["stalled"]:
        age = t("{flag} stalled: no update for {days} days", flag=STALLED, days=item["age"])
    else:
        age = _age(words, item["age"])
    when = t("{flag} overdue since {day}", flag=OVERDUE, day=due) if item["overdue"] else t("due {day}", day=due)
    return "• " + t("“{title}” ({owner}): {state}, {age} · {when}", title=item["title"], owner=item["owner"],
                    state=state, age=age, when=when)


def render_section(pub: Published, words: Words) -> str:
    """The digest's actions section in words; empty when there is nothing to follow up."""
    data = pub.data.get("actions")
    if not data or not (data.get("open") or data.get("unanswered")):
        return ""
    t = words.t
    lines = [t("Follow-up by the steering group")]
    for kind in ("priority", "challenge"):
        items = [a for a in data["open"] if priority(a["urgency"], a["feasibility"]) == kind]
        if items:
            lines.append(t(PRIORITY_NAMES[kind]) + ":")
            lines += [action_line(words, item) for item in items]
    if data.get("unanswered"):
        lines.append(t("Reported by the network and still without an answer after {weeks} weeks or more:",
                       weeks=data["unanswered_weeks"]))
        for item in data["unanswered"]:
            week = parse_week(item["since"])
            lines.append("• " + t("{signal} (reported since week {week})",
                                  signal=signal_label(words, item["dep"], item["dep_name"], item["theme"]),
                                  week=week[1] if week else item["since"]))
    lines.append(t("Answer signals and update actions in /actions."))
    return "\n".join(lines)


__all__ = ["section", "render_section", "action_line", "signal_label", "weeks_between", "STALLED", "OVERDUE"]
