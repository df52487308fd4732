"""The digest and the review in words, in the reader's language: short lines, plain words, the most
important first, every number from a release (see model.Published and releases/view.py).

A number is printed as its release stated it, and says what it is: "23" (exact), "fewer than 5"
(small), "5–12" (held back so that a smaller number cannot be worked out; the truth lies in it),
"10–19" (the month so far, in fixed steps). Every figure stands under the name of its period, so
nothing older is ever read as current.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, get_day_names, get_month_names
from babel.numbers import format_decimal

from bot.foundations.calendar import Period, parse_period
from bot.foundations.charter import Charter
from bot.foundations.i18n import Translator
from bot.foundations.vocab import AGE_BAND, GAPS, GENDER, STATUS
from bot.steering.figures import Median, Promise, Statement, hours, ladder
from bot.steering.releases.cells import NOT_GIVEN, OTHER
from bot.steering.releases.view import PeriodView

from .model import Published
from .schedule import parse_week

DASH = "–"
SHOWN_THEMES = 8  # themes a digest names for its quarter; the others: "n other themes"


class Words:
    """Names of departments, themes, levels, contacts and periods in one language."""

    def __init__(self, t: Translator, charter: Charter, departments: Sequence[str]) -> None:
        self.t = t
        self.charter = charter
        self.departments = tuple(departments)

    def dep(self, key: str, name: str | None = None) -> str:
        """A department of the figures ('~other': the small ones together; '~none': not given)."""
        t = self.t
        if key == OTHER:
            return t("Other departments")
        if key == NOT_GIVEN:
            return t("Department not given")
        return self.department(name or key)

    def department(self, name: str) -> str:
        """A stored department's name; one no longer configured is marked as former."""
        t = self.t
        return name if name in self.departments else t("{department} (former)", department=name)

    def theme(self, key: str) -> str:
        theme = self.charter.theme(key)
        return theme.label(self.t.lang) if theme else key

    def level(self, key: str) -> str:
        level = self.charter.level(key)
        return level.label(self.t.lang).lower() if level else key

    def kind(self, key: str) -> str:
        referral = self.charter.referral(key)
        return referral.name(self.t.lang) if referral else key

    def month(self, day: date) -> str:
        return f"{get_month_names('wide', locale=self.t.lang)[day.month]} {day.year}"

    def period(self, found: Period | str | None) -> str:
        return period_label(self.t, found)


def period_label(t: Translator, found: Period | str | None) -> str:
    """'September 2026', 'Q3 2026' or '2026'."""
    found = parse_period(found) if isinstance(found, str) else found
    if found is None:
        return ""
    if found.kind == "month":
        return f"{get_month_names('wide', locale=t.lang)[found.start.month]} {found.start.year}"
    if found.kind == "quarter":
        return t("Q{quarter} {year}", quarter=found.label[-1], year=found.start.year)
    return found.label


class Printer:
    """Prints statements, and remembers which kinds it printed (for the legend)."""

    def __init__(self, words: Words) -> None:
        self.words = words
        self.t = words.t
        self.kinds: set[str] = set()
        self.thresholds: set[int] = set()

    def __call__(self, statement: Statement | None, *, short: bool = False) -> str:
        if statement is None:
            self.kinds.add("withheld")
            return DASH
        self.kinds.add(statement.kind)
        if statement.kind == "small":
            self.thresholds.add(statement.high + 1)
        return fmt(self.t, statement, short=short)

    def legend(self, k: int) -> list[str]:
        """One line for each kind of number printed."""
        t = self.t
        lines = []
        if "small" in self.kinds or "step" in self.kinds:
            lines.append(t("“fewer than {k}” hides a small number.", k=k))
        if k + 1 in self.thresholds:
            lines.append(t("Signals without a conversation are shown from {n}: one person's own signal is taken off "
                           "first.", n=k + 1))
        if "protected" in self.kinds:
            lines.append(t("A range such as {k}–12 is a number held back so that a smaller one cannot be worked out; "
                           "the true number lies in it.", k=k))
        if "step" in self.kinds:
            lines.append(t("“So far” numbers are given in fixed steps, so that one request never shows from one week "
                           "to the next."))
        if "withheld" in self.kinds:
            lines.append(t("“–”: not shown, so that nobody can be singled out."))
        return lines


def fmt(t: Translator, statement: Statement | None, *, short: bool = False) -> str:
    """A statement as printed: exact "23"; small "fewer than 5" ("<5" in a table); held back "5–12"
    (or "at least 5"); a step "10–19" ("80 or more"); withheld "–"."""
    if statement is None or statement.kind == "withheld":
        return DASH
    low, high = statement.low, statement.high
    if statement.kind == "exact":
        return str(low)
    if statement.kind == "small" or (statement.kind == "step" and low == 0):
        return f"<{high + 1}" if short else t("fewer than {n}", n=high + 1)
    if high is None:
        if statement.kind == "step":
            return f"≥{low}" if short else t("{n} or more", n=low)
        return f"≥{low}" if short else t("at least {n}", n=low)
    return f"{low}–{high}"


def promise_text(t: Translator, found: Promise | None) -> str:
    """Contact within the promise: exact, or a bound that contains the truth; never blank."""
    if found is None:
        return DASH
    if found.kind == "share":
        return t("{share} % ({kept} of {tested})", share=found.low, kept=found.kept, tested=found.tested)
    if found.kind == "at_least":
        return t("at least {share} %", share=found.low)
    if found.kind == "range":
        return t("{low}–{high} %", low=found.low, high=found.high)
    return t("too few requests for a share")


def median_text(t: Translator, found: Median | None, contact_hours: int) -> str:
    """The median time to first contact: in whole hours, or a bound; never blank."""
    if found is None:
        return DASH
    if found.kind == "minutes":
        value = hours(found.minutes)
        return t("under 1 h") if value == 0 else t("{hours} h", hours=value)
    if found.kind == "at_most":
        return t("at most {hours} h", hours=contact_hours)
    return t("too few contacts for a median")


def period(t: Translator, first: date, last: date) -> str:
    start = format_date(first, "d MMM" if first.year == last.year else "d MMM y", locale=t.lang)
    return t("{start} – {end}", start=start, end=format_date(last, "d MMM y", locale=t.lang))


def days_of(t: Translator, found: Period) -> str:
    """'1 Jul – 30 Sep 2026': the period's first and last day."""
    return period(t, found.start, date.fromordinal(found.end.toordinal() - 1))


def weekday_name(t: Translator, weekday: int) -> str:
    return get_day_names("wide", locale=t.lang)[weekday]


def title(t: Translator, pub: Published) -> str:
    return t("Digest for the steering group, week {week} of {year}", week=pub.week_number, year=pub.year)


def join_and(t: Translator, items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return t("{items} and {last}", items=", ".join(items[:-1]), last=items[-1])


def _join_or(t: Translator, items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return t("{items} or {last}", items=", ".join(items[:-1]), last=items[-1])


def round_name(t: Translator, label: str) -> str:
    """'2026-12' reads as the month; '2026-W50' as the digest says it: "week 50 of 2026"."""
    if len(label) == 7 and label[4] == "-" and label[5:].isdigit():
        year, month = label.split("-")
        return f"{get_month_names('wide', locale=t.lang)[int(month)]} {year}"
    if parsed := parse_week(label):
        return t("week {week} of {year}", week=parsed[1], year=parsed[0])
    return label


# The digest ---------------------------------------------------------------------------------------

def render_digest(pub: Published, words: Words, tz: ZoneInfo, *, newer: str | None = None,
                  contact_hours: int = 24, extra: Sequence[str] = ()) -> str:
    """The whole digest: what a steering member reads on a phone in a minute. `extra`: sections
    of its own (the steering group's follow-up) before the network."""
    t = words.t
    head = [f"📊 {title(t, pub)}"]
    if newer:
        head.append(t("This is an older digest; the latest (week {week}) is in /digest.", week=int(newer[-2:])))
    if not pub.current:
        head.append(t("This digest was made with the earlier method (13-week windows); its figures are not shown "
                      "again. Figures are now counted once per closed month and quarter."))
        return "\n".join(head)
    if pub.late and pub.due is not None:
        head.append(t("⏰ Late: this digest was due {when}, when the bot was not running.", when=t.when(pub.due, tz)))
    show = Printer(words)
    if pub.new:
        head.append(t("New this week: the final figures of {periods}, counted on {day}. Figures of a closed period "
                      "are counted once and never change.", periods=join_and(t, [words.period(p) for p in pub.new]),
                      day=format_date(pub.day, "d MMM y", locale=t.lang) if pub.day else ""))
    sections = ["\n".join(head), signals_section(pub, words, show), so_far(pub, words, show),
                month_section(pub, words, show, contact_hours), quarter_section(pub, words, show, contact_hours),
                *extra, network(pub, words, show)]
    body = "\n\n".join(s for s in sections if s)
    lines = show.legend(pub.k)
    return body + ("\n\n" + "\n".join(lines) if lines else "")


def signals_section(pub: Published, words: Words, show: Printer) -> str:
    t = words.t
    lines = [t("Reported by the network")]
    if not pub.signals:
        lines.append("• " + t("No recurring problem reported by the network this time."))
    for signal in pub.signals:
        where = f"{words.dep(signal['dep'], pub.dep_name(signal['dep']))} · {words.theme(signal['theme'])}"
        if signal.get("basis") == "colleagues":
            basis = t("from at least {n} different colleagues", n=pub.signal_min)
        else:
            basis = t("from at least {n} conversations; some may be with the same colleague (who asked is not "
                      "always kept)", n=pub.signal_min)
        text = t("{where}: reported in the review of {round}, {basis}.", where=where,
                 round=round_name(t, signal.get("round", "")), basis=basis)
        quarter = pub.views.get(signal.get("quarter") or "")
        if isinstance(quarter, PeriodView) and (count := quarter.signal_count(signal["dep"], signal["theme"])):
            text += " " + t("{period}: {count} conversations.", period=words.period(quarter.period), count=show(count))
        lines.append("• " + text)
        for suggestion in signal.get("suggestions", ()):
            lines.append("  " + t("Suggestion from the network: “{text}”", text=suggestion))
    return "\n".join(lines)


def so_far(pub: Published, words: Words, show: Printer) -> str:
    t = words.t
    found = pub.open
    if found is None:
        return ""
    steps = ", ".join(str(e) for e in ladder(pub.k)[1:4])
    return "\n".join([
        t("{month} so far ({days}), in steps of {steps}…", month=words.month(found.first_day),
          days=period(t, found.first_day, found.last_day), steps=steps),
        "• " + t("Requests: {count}", count=show(found.requests)),
    ])


def month_section(pub: Published, words: Words, show: Printer, contact_hours: int) -> str:
    t = words.t
    month = pub.month
    if month is None:
        return t("No month has been counted yet: a month's figures come with the digest a week after it ends.")
    return "\n".join([
        t("{period} (final)", period=words.period(month.period)),
        "• " + t("Requests: {count} · contact within {hours} h: {share} · median time to first contact: {median}",
                 count=show(month.st("req")), hours=contact_hours, share=promise_text(t, month.promise),
                 median=median_text(t, month.median, contact_hours)),
    ])


def quarter_section(pub: Published, words: Words, show: Printer, contact_hours: int) -> str:
    t = words.t
    quarter, before = pub.quarter, pub.before
    lines = []
    if (waiting := pub.waiting) is not None:
        lines.append(t("{quarter} is counted on {day}.", quarter=words.period(waiting[0]),
                       day=format_date(waiting[1], "d MMM y", locale=t.lang)))
    if quarter is None:
        return "\n".join(lines)
    if quarter.label not in pub.new:
        themes = [f"{words.theme(key)} {show(s)}" for key, s in quarter.themes() if s.kind == "exact"][:3]
        line = t("{period} (final): {count} requests · contact within {hours} h: {share} · median {median}",
                 period=words.period(quarter.period), count=show(quarter.st("req")), hours=contact_hours,
                 share=promise_text(t, quarter.promise), median=median_text(t, quarter.median, contact_hours))
        if themes:
            line += "; " + t("themes: {themes}", themes=" · ".join(themes))
        lines.append(line + ". " + t("The whole quarter: /report."))
        return "\n".join(lines)
    return "\n".join(lines + quarter_lines(quarter, before, words, show, contact_hours))


def quarter_lines(quarter: PeriodView, before: PeriodView | None, words: Words, show: Printer,
                  contact_hours: int) -> list[str]:
    """A released quarter in full, the quarter before in brackets."""
    t = words.t

    def pair(family: str, *args: str) -> str:
        now = show(quarter.st(family, *args))
        if before is None:
            return now
        return f"{now} ({show(before.st(family, *args))})"

    head = t("{period} ({days}, final)", period=words.period(quarter.period), days=days_of(t, quarter.period))
    if before is not None:
        head += ", " + t("the quarter before in brackets")
    share = promise_text(t, quarter.promise)
    median = median_text(t, quarter.median, contact_hours)
    if before is not None:
        share += f" ({promise_text(t, before.promise)})"
        median += f" ({median_text(t, before.median, contact_hours)})"
    lines = [
        head,
        "• " + t("Requests: {count}, of which urgent: {urgent}", count=pair("req"), urgent=pair("urg")),
        "• " + t("Contact within {hours} h: {share} · median time to first contact: {median}", hours=contact_hours,
                 share=share, median=median),
        "• " + t("Without contact within {hours} h: {count}", hours=contact_hours, count=pair("late")),
        "• " + t("A conversation took place: {count}: listened {listened} · referred {referred} · pointed to help "
                 "{signposted}; no conversation: {none}", count=pair("conv"), listened=show(quarter.st("end", "listened")),
                 referred=show(quarter.st("end", "referred")), signposted=show(quarter.st("end", "signposted")),
                 none=pair("end", "none")),
    ]
    if quarter.about_withheld:
        lines.append("• " + t("What the conversations were about is not shown this quarter, so that nobody can be "
                              "singled out."))
        return lines
    lines.append("• " + themes_line(quarter, before, words, show))
    levels = [f"{words.level(lv)} {show(s)}" for (lv,), s in quarter.family("lvl")]
    lines.append("• " + t("By level: {levels}", levels=" · ".join(levels)))
    lines.append("• " + departments_line(quarter, words, show))
    lines.append("• " + t("Worried about a colleague: {concern} · collective character: {collective} · private life, "
                          "counted apart: {private}", concern=pair("con"), collective=pair("col"), private=pair("prv")))
    lines.append("• " + referrals_line(quarter, words, show))
    lines.append("• " + team_line(quarter, words, show))
    lines.append("• " + ratings_line(quarter, words, show))
    lines.append(t("Themes, levels, departments, concerns and referrals count the {count} requests where a "
                   "conversation took place; a request may have several themes.", count=show(quarter.st("conv"))))
    return lines


def themes_line(quarter: PeriodView, before: PeriodView | None, words: Words, show: Printer) -> str:
    t = words.t
    order = [th.key for th in words.charter.work_themes]
    shown, small = [], 0
    for key, s in quarter.themes(order):
        if s.kind == "small" or len(shown) >= SHOWN_THEMES:
            small += 1
            continue
        text = f"{words.theme(key)} {show(s)}"
        if before is not None:
            text += f" ({show(before.st('th', key))})"
        shown.append(text)
    if small:
        show.kinds.add("small")
        shown.append(t("{n} other themes: fewer than {k} each, or not among the largest", n=small, k=quarter.k)
                     if len(shown) >= SHOWN_THEMES else t("{n} other themes: fewer than {k} each", n=small, k=quarter.k))
    return t("Themes that come back (work-related): {themes}", themes=" · ".join(shown) or DASH)


def departments_line(view: PeriodView, words: Words, show: Printer) -> str:
    t = words.t
    standing, merged, other = view.departments()
    parts = [f"{words.dep(dep, view.name(dep))} {show(s)}" for dep, s in standing]
    if merged:
        names = ", ".join(words.dep(dep, view.name(dep)) for dep in merged)
        parts.append(t("other departments ({names}) {count}", names=names, count=show(other)))
    return t("Departments: {departments}", departments=" · ".join(parts))


def referrals_line(view: PeriodView, words: Words, show: Printer) -> str:
    t = words.t
    found = [(kind, s) for (kind,), s in view.family("ref")]
    shown = [f"{words.kind(kind)} {show(s)}" for kind, s in found if s.kind != "small"]
    small = [kind for kind, s in found if s.kind == "small"]
    if small:
        show.kinds.add("small")
        shown.append(t("{n} other contacts: fewer than {k} each", n=len(small), k=view.k))
    return t("Referred to: {contacts}", contacts=" · ".join(shown))


def team_line(view: PeriodView, words: Words, show: Printer) -> str:
    t = words.t
    shown = []
    for theme, deps, levels in view.team():
        text = " · ".join(f"{words.dep(dep, view.name(dep))} · {words.theme(theme)} {show(s)}" for dep, s in deps)
        if levels:
            text += " (" + ", ".join(f"{words.level(lv)} {show(s)}" for lv, s in levels) + ")"
        shown.append(text)
    if not view.family("tsd"):
        return t("Signals without a conversation (from employees): none this quarter.")
    show.thresholds.add(view.k + 1)
    show.kinds.add("small")
    shown.append(t("every other department and theme: fewer than {n}", n=view.k + 1) if shown
                 else t("fewer than {n} for every department and theme", n=view.k + 1))
    return t("Signals without a conversation (from employees): {signals}", signals="; ".join(shown))


def ratings_line(view: PeriodView, words: Words, show: Printer) -> str:
    t = words.t
    text = t("Ratings by colleagues after a conversation: {count}", count=show(view.st("rat")))
    if view.average is not None:
        text += ", " + t("on average {average} out of 5", average=format_average(t, view.average))
    return text


def format_average(t: Translator, value: float) -> str:
    return format_decimal(value, format="0.0", locale=t.lang)


MAKEUP = (("gender", GENDER), ("age_band", AGE_BAND), ("status", STATUS))


def network(pub: Published, words: Words, show: Printer | None = None, *, detail: bool = True) -> str:
    """The network's health: listeners, open conversations (in steps), its make-up and its gaps. The
    make-up is about the listeners themselves, known by name to everyone: it is shown in full."""
    t, health = words.t, pub.health
    if not health:
        return ""
    lines = [t("The network")]
    if not health.get("listeners"):
        lines.append("• " + t("No listeners yet: employees cannot be helped."))
        return "\n".join(lines)
    line = t("{listeners} listeners, {paused} of them paused", listeners=health["listeners"],
             paused=health.get("paused", 0))
    if (found := pub.open_conversations) is not None and show is not None:
        line += "; " + t("open conversations now: {count}", count=show(Statement("step", found[0], found[1])))
    lines.append("• " + line)
    if not detail:
        return "\n".join(lines)
    lines += makeup_lines(health, words)
    return "\n".join(lines)


def makeup_lines(health, words: Words) -> list[str]:
    t = words.t
    makeup = health.get("makeup", {})
    names = {"gender": t("Gender"), "age_band": t("Age"), "status": t("Status")}
    lines = []
    for field, labels in MAKEUP:
        parts = [f"{t(labels[v])} {n}" for v, n in makeup.get(field, {}).items() if v in labels]
        lines.append("• " + t("{label}: {value}", label=names[field], value=" · ".join(parts)))
    deps = [f"{words.department(name)} {n}" for name, n in makeup.get("department", {}).items()]
    lines.append("• " + t("Departments: {departments}", departments=" · ".join(deps)))
    gaps = health.get("gaps", {})
    found = []
    if gaps.get("department"):
        found.append(t("no listener from {departments}", departments=_join_or(t, [
            words.department(name) for name in gaps["department"]])))
    found += [t(GAPS[v]) for field, _ in MAKEUP for v in gaps.get(field, []) if v in GAPS]
    lines.append("• " + (t("Gaps: {gaps}.", gaps=", ".join(found)) if found else t("No gaps in the make-up.")))
    return lines


def render_about(pub: Published, words: Words, *, contact_hours: int = 24, newer: str | None = None) -> str:
    """How to read the digest: what is counted, when, and why some numbers are ranges."""
    t = words.t
    k = pub.k
    lines = [t("How to read this digest (week {week} of {year})", week=pub.week_number, year=pub.year)]
    if newer:
        lines.append(t("This is an older digest; the latest (week {week}) is in /digest.", week=int(newer[-2:])))
    lines += [
        "• " + t("Figures are counted once per closed month and quarter, a week after it ends, and never change "
                 "afterwards. Each figure stands under its period's name."),
        "• " + t("A month tells how often colleagues asked and the contact promise; a quarter also what the "
                 "conversations were about. The month so far is given in fixed steps ({steps}…), so that one request "
                 "never shows from one week to the next.", steps=", ".join(str(e) for e in ladder(k)[1:4])),
        "• " + t("A number is given from {k} on; below, it reads “fewer than {k}”. A range such as {k}–12 is a number "
                 "held back so that a smaller one cannot be worked out from the others; the true number lies in it.",
                 k=k),
        "• " + t("Themes, levels, departments, concerns, collective character and referrals count only requests "
                 "where a conversation took place (the colleague answered the listener), so that asking and "
                 "withdrawing moves none of them."),
        "• " + t("Departments with fewer than {k} conversations in a quarter are counted together as “other "
                 "departments”.", k=k),
        "• " + t("“Reported by the network”: a department and a theme that came back in at least {n} conversations "
                 "of a quarter's closed months. The listeners decide together which to report, and a coordinator "
                 "approves every suggestion. Nothing a colleague said is ever shown.", n=pub.signal_min),
        "• " + t("Themes count only what the employer can influence; private-life themes are counted apart."),
        "• " + t("Signals without a conversation: employees can tell the network that something is wrong in their "
                 "team (a department, themes and a level; no text). One per person and quarter; shown from {n}, so "
                 "that one person's own signal never shows who else signalled.", n=k + 1),
        "• " + t("“Contact within {hours} h” counts the requests whose {hours} hours are over or that had contact "
                 "sooner. With fewer than {k} without contact in time, it is given as a lower bound (“at least 94 %”).",
                 hours=contact_hours, k=k),
        "• " + t("The network's make-up is shown in full: it is about the listeners themselves, whom everyone can "
                 "choose by name, never about who asked."),
    ]
    return "\n".join(lines)


def caption(pub: Published, words: Words) -> str:
    t = words.t
    return t("The trend and the themes at a glance, week {week} of {year}.", week=pub.week_number, year=pub.year)


def steering_home(t: Translator, weekday: int, at, tz: ZoneInfo, next_at: datetime) -> str:
    return t("The digest comes every {weekday} at {time} ({zone}); the next one on {when}. /digest shows the "
             "latest one.", weekday=weekday_name(t, weekday),
             time=at.strftime("%H:%M"), zone=str(tz), when=t.when(next_at, tz))


# The network's review ----------------------------------------------------------------------------

def candidate_label(words: Words, pub: Published, dep: str, theme: str) -> str:
    return f"{words.dep(dep, pub.dep_name(dep))} · {words.theme(theme)}"


def review_text(words: Words, pub: Published, label: str, months: str, candidates: Sequence,
                tallies: dict[int, tuple[int, int]]) -> str:
    t = words.t
    lines = [t("🔎 The network's review ({label})", label=label),
             t("Departments and themes that came back in at least {n} conversations of {months}, from different "
               "colleagues. Decide together which to report to the steering group; you may add a suggestion in your "
               "own words. No number is shown here: the steering group gets the counts with the quarter's figures.",
               n=pub.signal_min, months=months)]
    if not candidates:
        lines.append(t("Nothing came back often enough: there is nothing to report this time."))
        return "\n\n".join(lines)
    rows = []
    for c in candidates:
        yes, no = tallies.get(c.id, (0, 0))
        rows.append(t("{position}. {candidate} · to report {yes}, not {no}", position=c.position,
                      candidate=candidate_label(words, pub, c.dep, c.theme), yes=yes, no=no))
    lines.append("\n".join(rows))
    lines.append(t("Tap one to say whether to report it, or to add a suggestion."))
    return "\n\n".join(lines)


def candidate_text(words: Words, pub: Published, candidate, mine: bool | None, tally: tuple[int, int],
                   suggestion_state: str | None) -> str:
    t = words.t
    lines = [candidate_label(words, pub, candidate.dep, candidate.theme)]
    if candidate.basis == "colleagues":
        lines.append(t("From at least {n} different colleagues.", n=pub.signal_min))
    else:
        lines.append(t("Some may come from the same colleague: who asked is not always kept."))
    lines.append({None: t("Your choice: not made yet."), True: t("Your choice: report it."),
                  False: t("Your choice: do not report it.")}[mine])
    lines.append(t("Listeners so far: {yes} to report it, {no} not.", yes=tally[0], no=tally[1]))
    if suggestion_state:
        lines.append({
            "flagged": t("Your suggestion waits for you: send it anyway or write it again."),
            "pending": t("Your suggestion waits for a coordinator."),
            "approved": t("Your suggestion is approved: it comes with the signal in the digest."),
            "returned": t("A coordinator sent your suggestion back; you may write a new one."),
            "withdrawn": t("You took your suggestion back to write it again; you may write a new one."),
        }[suggestion_state])
    lines.append(t("It is reported when more listeners want it reported than not."))
    return "\n".join(lines)
