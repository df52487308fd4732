"""The digest and the review in words, in the reader's language: short lines, plain words,
the most important first, every number from the release (see model.Published).

Every hidden figure reads "–", whether it was small or held back to protect another; a
number repeated from an earlier digest reads "≈42" (it moved less than k since then).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, get_day_names

from bot.foundations.charter import Charter
from bot.foundations.i18n import Translator
from bot.foundations.vocab import AGE_BAND, GAPS, GENDER, OUTCOMES_COUNTED, STATUS

from .digest import NOT_GIVEN, OTHER, OUTCOME_KEYS, UNSET
from .model import Num, Published

DASH = "–"
APPROX = "≈"


class Words:
    """Names of departments, themes, levels, outcomes and contacts in one language."""

    def __init__(self, t: Translator, charter: Charter, departments: Sequence[str]) -> None:
        self.t = t
        self.charter = charter
        self.departments = tuple(departments)

    def dep(self, key: str, published: Published | None = None) -> str:
        """A department group of the figures."""
        t = self.t
        if key == OTHER:
            return t("Other departments")
        if key == NOT_GIVEN:
            return t("Department not given")
        return self.department((published.dep_name(key) if published else None) or key)

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

    def span(self, span: str, weeks: int) -> str:
        t = self.t
        return t("{weeks} weeks", weeks=weeks) if span == "recent" else t("12 months")

    def signal_count(self, span: str, count: Num) -> str:
        """A signal's count as its digest released it; over 12 months no number is ever shown
        (Published.signal_count says why)."""
        t = self.t
        return num(count) if span == "recent" else t("recurs, no number")


def num(n: Num) -> str:
    if n.hidden:
        return DASH
    return f"{APPROX}{n.value}" if n.stale else str(n.value)


def percent(t: Translator, n: Num) -> str:
    return DASH if n.hidden else (APPROX if n.stale else "") + t("{value}%", value=n.value)


def hours(t: Translator, n: Num) -> str:
    if n.hidden:
        return DASH
    text = t("under 1 h") if n.value == 0 else t("{hours} h", hours=n.value)
    return (APPROX if n.stale else "") + text


def period(t: Translator, first: date, last: date) -> str:
    start = format_date(first, "d MMM" if first.year == last.year else "d MMM y", locale=t.lang)
    return t("{start} – {end}", start=start, end=format_date(last, "d MMM y", locale=t.lang))


def weekday_name(t: Translator, weekday: int) -> str:
    return get_day_names("wide", locale=t.lang)[weekday]


def title(t: Translator, pub: Published) -> str:
    return t("Digest for the steering group, week {week} of {year}", week=pub.week_number, year=pub.year)


def _legend(t: Translator, pub: Published, texts: Sequence[str]) -> list[str]:
    body = "\n".join(texts)
    lines = []
    if DASH in body:
        lines.append(t("– fewer than {k}, or held back so that a small number cannot be worked out from the "
                       "others.", k=pub.k))
    if APPROX in body:
        lines.append(t("≈ repeated from an earlier digest: it has not changed by {k} or more since.", k=pub.k))
    return lines


def render_digest(pub: Published, words: Words, tz: ZoneInfo, *, newer: str | None = None,
                  contact_hours: int = 24, extra: Sequence[str] = ()) -> str:
    """The whole digest: what a steering member reads on a phone in a minute. `extra`: sections
    of its own (the steering group's follow-up) before the network's health."""
    t = words.t
    head = [f"📊 {title(t, pub)}"]
    if newer:
        head.append(t("This is an older digest; the latest (week {week}) is in /digest.", week=int(newer[-2:])))
    now_window = pub.windows[0] if pub.windows else None
    if now_window:
        head.append(t("The last {weeks} weeks ({period}), compared with the {weeks} weeks before.",
                      weeks=pub.weeks, period=period(t, now_window.first_day, now_window.last_day)))
    if pub.late and pub.due is not None:
        head.append(t("⏰ Late: this digest was due {when}, when the bot was not running.",
                      when=t.when(pub.due, tz)))
    sections = ["\n".join(head)]
    if pub.empty:
        sections.append(t("Fewer than {k} requests in these {weeks} weeks, or too few to show without pointing "
                          "at anyone: no figures this week.", k=pub.k, weeks=pub.weeks))
    else:
        sections.append(_signals(pub, words))
        sections.append(_use(pub, words, contact_hours))
        if "themes" in pub.withheld:
            sections.append(t("Themes: not shown this week, so that nobody can be singled out."))
        else:
            sections.append(_themes(pub, words))
    if pub.counts_team_signals:
        sections.append(_team(pub, words))
    sections.extend(extra)
    sections.append(network(pub, words))
    sections.append("\n".join(_legend(t, pub, sections)))
    return "\n\n".join(s for s in sections if s)


def _signals(pub: Published, words: Words) -> str:
    t = words.t
    lines = [t("Reported by the network")]
    if not pub.signals:
        lines.append("• " + t("No recurring problem reported by the network this time."))
    for signal in pub.signals:
        where = f"{words.dep(signal['dep'], pub)} · {words.theme(signal['theme'])}"
        if signal["span"] == "recent":
            count = t("{count} requests in {span}", count=num(pub.signal_count(signal)),
                      span=words.span(signal["span"], pub.weeks))
        else:
            count = t("recurring over 12 months")
        if signal["basis"] == "colleagues":
            basis = t("from at least {n} different colleagues", n=pub.signal_min)
        else:
            basis = t("some may come from the same colleague: who asked is not always kept")
        lines.append("• " + t("{label}: {value}", label=where, value=f"{count}, {basis}."))
        for text in signal.get("suggestions", ()):
            lines.append("  " + t("Suggestion from the network: “{text}”", text=text))
    return "\n".join(lines)


def _use(pub: Published, words: Words, contact_hours: int) -> str:
    t = words.t
    now, before = pub.compared("req")
    lines = [t("Use"),
             "• " + t("Requests: {now} (before: {before})", now=num(now), before=num(before))]
    kept = [pub.share(f"prom|win:{w}") for w in ("now", "prev")]
    lines.append("• " + t("Contact within {hours} h: {now} (before: {before})", hours=contact_hours,
                          now=percent(t, kept[0]), before=percent(t, kept[1])))
    waits = [pub.median(f"wait|win:{w}") for w in ("now", "prev")]
    lines.append("• " + t("Median time to first contact: {now} (before: {before})",
                          now=hours(t, waits[0]), before=hours(t, waits[1])))
    late, late_before = pub.compared("brc")
    lines.append("• " + t("Contact later than promised: {now} (before: {before})",
                          now=num(late), before=num(late_before)))
    urgent, urgent_before = pub.compared("urg")
    lines.append("• " + t("Urgent: {now} (before: {before})", now=num(urgent), before=num(urgent_before)))
    if "themes" not in pub.withheld:
        concern, concern_before = pub.compared("con")
        lines.append("• " + t("Worried about a colleague: {now} (before: {before})", now=num(concern),
                              before=num(concern_before)))
        shared, shared_before = pub.compared("col")
        lines.append("• " + t("With a collective character: {now} (before: {before})", now=num(shared),
                              before=num(shared_before)))
    ended = " · ".join(f"{t(OUTCOMES_COUNTED[o])} {num(a)} ({num(b)})" for o in OUTCOME_KEYS
                       for a, b in [pub.compared("out", "out", o)])
    lines.append("• " + t("How they ended, now (before): {outcomes}", outcomes=ended))
    if "themes" not in pub.withheld:
        kinds, others = [], False
        for kind in pub.dims.kinds:
            a, b = pub.compared("ref", "kind", kind)
            if a.hidden and b.hidden:
                others = True
            else:
                kinds.append(f"{words.kind(kind)} {num(a)} ({num(b)})")
        if others:
            kinds.append(t("other contacts {count}", count=DASH) if kinds else f"{DASH} ({DASH})")
        lines.append("• " + t("Referred to, now (before): {contacts}", contacts=" · ".join(kinds)))
    return "\n".join(lines)


def _themes(pub: Published, words: Words) -> str:
    t = words.t
    lines = [t("Themes that come back (work-related), by level")]
    for theme, count in pub.themes():
        # Without "no level": showing fewer figures than the release is always safe.
        levels = " · ".join(f"{words.level(lv)} {num(pub.figure(f'tl|theme:{theme}|level:{lv}'))}"
                            for lv in pub.dims.levels if lv != UNSET)
        lines.append("• " + t("{label}: {value}", label=words.theme(theme), value=f"{num(count)} ({levels})"))
    if not pub.themes():
        lines.append("• " + t("No theme can be shown yet."))
    if pub.themes_hidden():
        lines.append("• " + t("Other themes: {count} each", count=DASH))
    lines.append("• " + t("Private life, counted apart: {count}", count=num(pub.figure("prv|win:now"))))
    return "\n".join(lines)


def _team(pub: Published, words: Words) -> str:
    """Employees' signals without a conversation: a population of their own, never added to the
    requests. Departments and levels are listed only where their number is shown."""
    t = words.t
    lines = [t("Signals without a conversation (from employees, last {weeks} weeks)", weeks=pub.weeks)]
    for theme, deps in pub.team():
        value = " · ".join(f"{words.dep(d, pub)} {num(n)}" for d, n in deps)
        levels = [f"{words.level(lv)} {num(n)}" for lv in pub.dims.levels if lv != UNSET
                  and not (n := pub.figure(f"ts|theme:{theme}|level:{lv}")).hidden]
        value += f" ({' · '.join(levels)})" if levels else ""
        lines.append("• " + t("{label}: {value}", label=words.theme(theme), value=value))
    if not pub.team():
        lines.append("• " + t("None can be shown yet: fewer than {k} for each theme.", k=pub.k))
    return "\n".join(lines)


MAKEUP = (("gender", GENDER), ("age_band", AGE_BAND), ("status", STATUS))


def network(pub: Published, words: Words, *, detail: bool = True) -> str:
    """The network's health: listeners, open conversations, its make-up and its gaps. The make-up
    is about the listeners themselves, known by name to everyone: it is shown in full."""
    t, health = words.t, pub.health
    if not health:
        return ""
    lines = [t("The network")]
    if not health.get("listeners"):
        lines.append("• " + t("No listeners yet: employees cannot be helped."))
        return "\n".join(lines)
    lines.append("• " + t("{listeners} listeners, {paused} of them paused; open conversations: {open}",
                          listeners=health["listeners"], paused=health.get("paused", 0),
                          open=num(pub.figure("open|now"))))
    if not detail:
        return "\n".join(lines)
    makeup = health.get("makeup", {})
    names = {"gender": t("Gender"), "age_band": t("Age"), "status": t("Status")}
    for field, labels in MAKEUP:
        parts = [f"{t(labels[v])} {n}" for v, n in makeup.get(field, {}).items() if v in labels]
        lines.append("• " + t("{label}: {value}", label=names[field], value=" · ".join(parts)))
    deps = [f"{words.department(name)} {n}" for name, n in makeup.get("department", {}).items()]
    lines.append("• " + t("Departments: {departments}", departments=" · ".join(deps)))
    gaps = health.get("gaps", {})
    found = []
    if gaps.get("department"):
        found.append(t("no listener from {departments}", departments=_join(t, [
            words.department(name) for name in gaps["department"]])))
    found += [t(GAPS[v]) for field, _ in MAKEUP for v in gaps.get(field, []) if v in GAPS]
    lines.append("• " + (t("Gaps: {gaps}.", gaps=", ".join(found)) if found else t("No gaps in the make-up.")))
    return "\n".join(lines)


def _join(t: Translator, items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return t("{items} or {last}", items=", ".join(items[:-1]), last=items[-1])


def render_about(pub: Published, words: Words, *, contact_hours: int = 24, newer: str | None = None) -> str:
    """How to read the digest: what is counted and why some numbers are missing."""
    t = words.t
    now_window = pub.windows[0] if pub.windows else None
    lines = [t("How to read this digest (week {week} of {year})", week=pub.week_number, year=pub.year)]
    if newer:
        lines.append(t("This is an older digest; the latest (week {week}) is in /digest.", week=int(newer[-2:])))
    if now_window:
        lines.append("• " + t("It counts the requests of the last {weeks} weeks ({period}) and compares them with the "
                              "{weeks} weeks before; the chart shows 12 months.", weeks=pub.weeks,
                              period=period(t, now_window.first_day, now_window.last_day)))
    lines += [
        "• " + t("A number is shown only when it is at least {k}. “–” means fewer than {k}, or held back so that a "
                 "small number cannot be worked out from the others: both look the same on purpose.", k=pub.k),
        "• " + t("“≈” marks a number repeated from an earlier digest: it has not changed by {k} or more since, so "
                 "one new request never shows from one week to the next.", k=pub.k),
        "• " + t("Departments with few requests are counted together as “other departments”."),
        "• " + t("“Reported by the network”: a department and a theme that came back in at least {n} requests. "
                 "The listeners decide together which to report, and a coordinator approves every suggestion. "
                 "Nothing a colleague said is ever shown.", n=pub.signal_min),
        "• " + t("Themes count only what the employer can influence; private-life themes are counted apart."),
        "• " + t("“Worried about a colleague” counts requests from someone concerned about another person; "
                 "“collective character”, problems a listener marked as concerning a group. Both are part of "
                 "the requests."),
        "• " + t("Signals without a conversation: employees can tell the network that something is wrong in "
                 "their team (a department, themes and a level; no text). Each person's latest signal counts "
                 "once. They are counted apart from the requests, with the same rule for small numbers."),
        "• " + t("“Contact within {hours} h” is a share of the requests whose {hours} hours are over or that had "
                 "contact sooner.", hours=contact_hours),
        "• " + t("The network's make-up is shown in full: it is about the listeners themselves, whom everyone "
                 "can choose by name, never about who asked."),
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

def candidate_label(words: Words, pub: Published, dep: str, theme: str, span: str) -> str:
    return f"{words.dep(dep, pub)} · {words.theme(theme)} ({words.span(span, pub.weeks)})"


def review_text(words: Words, pub: Published, label: str, candidates: Sequence, counts: Mapping[int, Num],
                tallies: Mapping[int, tuple[int, int]]) -> str:
    t = words.t
    last = pub.windows[0].last_day if pub.windows else None
    lines = [t("🔎 The network's review ({label})", label=label),
             t("Departments and themes that came back in at least {n} requests, up to {day}. Decide together "
               "which to report to the steering group; you may add a suggestion in your own words. The counts "
               "follow the digest's rule: “–” is fewer than {k}, or held back.", n=pub.signal_min,
               day=format_date(last, "d MMM y", locale=t.lang) if last else "", k=pub.k)]
    if not candidates:
        lines.append(t("Nothing came back often enough: there is nothing to report this time."))
        return "\n\n".join(lines)
    rows = []
    for c in candidates:
        yes, no = tallies.get(c.id, (0, 0))
        rows.append(t("{position}. {candidate}: {count} · to report {yes}, not {no}", position=c.position,
                      candidate=candidate_label(words, pub, c.dep, c.theme, c.span),
                      count=words.signal_count(c.span, counts[c.id]), yes=yes, no=no))
    lines.append("\n".join(rows))
    if any(c.span != "recent" for c in candidates):
        lines.append(t("Over 12 months no number is given: with the digests of the windows before, it would give "
                       "away the count of this window."))
    lines.append(t("Tap one to say whether to report it, or to add a suggestion."))
    return "\n\n".join(lines)


def candidate_text(words: Words, pub: Published, candidate, count: Num, mine: bool | None,
                   tally: tuple[int, int], suggestion_state: str | None) -> str:
    t = words.t
    lines = [t("{label}: {value}", label=candidate_label(words, pub, candidate.dep, candidate.theme, candidate.span),
               value=t("{count} requests", count=num(count)) if candidate.span == "recent"
               else words.signal_count(candidate.span, count))]
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
