"""A report in words, in one language: a document of sections, tables, paragraphs and charts
that the HTML and the PDF both draw (html.py, pdf.py), so they say exactly the same.

Every number about requests comes from the report's figures (the digests' releases): "–" for a
hidden one, "≈" for one a digest repeated. Rows that would be "–" in every column are left out,
and one line says so: leaving out a row says no more than a row of dashes.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from babel.dates import format_date
from babel.numbers import format_decimal

from bot.foundations import calendar
from bot.foundations.calendar import Period
from bot.foundations.charter import Charter
from bot.foundations.i18n import Translator
from bot.foundations.vocab import (
    ACTION_STATUS,
    AGE_BAND,
    EFFECTS,
    FEASIBILITY,
    GAPS,
    GENDER,
    OUTCOMES_COUNTED,
    PRIORITY_NAMES,
    SIGNAL_ANSWERS,
    STATUS,
    THEME_GROUP_NAMES,
    URGENCY,
    priority,
)
from bot.steering.actions.followup import signal_label
from bot.steering.digest.digest import OUTCOME_KEYS
from bot.steering.digest.model import Num
from bot.steering.digest.render import APPROX, DASH, Words, hours, num, percent, period

from .figures import ReportWindow
from .service import Report


@dataclass(frozen=True)
class Para:
    text: str
    style: str = "p"  # p, lead, note


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    head: tuple[str, ...]                 # a header may hold a second line after "\n"
    rows: tuple[tuple[str, ...], ...]
    groups: tuple[tuple[int, str], ...] = ()  # (row index, title): a heading row before that row
    numeric: bool = True                  # the columns after the first hold numbers
    widths: tuple[float, ...] = ()        # relative column widths (default: the first twice as wide)
    windows: bool = False                 # the columns after the first are the report's windows (and a total)


@dataclass(frozen=True)
class Facts:
    items: tuple[tuple[str, str], ...]    # (value, what it is)


@dataclass(frozen=True)
class Chart:
    key: str                              # which chart (charts.py draws it)
    alt: str


Block = Para | Bullets | Table | Facts | Chart


@dataclass(frozen=True)
class Section:
    title: str
    blocks: tuple[Block, ...]


@dataclass
class Document:
    lang: str
    title: str
    subtitle: str
    sections: list[Section] = field(default_factory=list)
    footer: str = ""
    charts: dict = field(default_factory=dict)  # key -> data for charts.py (numbers already released)

    def text(self) -> str:
        """Everything the document says, as plain text (for checks and the bot's message)."""
        out = [self.title, self.subtitle]
        for section in self.sections:
            out.append(section.title)
            for block in section.blocks:
                if isinstance(block, Para):
                    out.append(block.text)
                elif isinstance(block, Bullets):
                    out += block.items
                elif isinstance(block, Facts):
                    out += [f"{v} {w}" for v, w in block.items]
                elif isinstance(block, Table):
                    out.append(" | ".join(h.replace("\n", " ") for h in block.head))
                    out += [" | ".join(row) for row in block.rows]
        out.append(self.footer)
        return "\n".join(out)


def period_name(t: Translator, period: Period) -> str:
    if "-Q" in period.label:
        year, quarter = period.label.split("-Q")
        return t("Q{quarter} {year}", quarter=quarter, year=year)
    return period.label


def window_head(t: Translator, window: ReportWindow) -> str:
    """'Q3 2026' and its dates on a second line; the window before a one-window report says so."""
    middle = window.first_day + (window.last_day - window.first_day) / 2
    name = period_name(t, calendar.quarter_of(middle))
    if not window.in_period:
        name = t("{name} (before)", name=name)
    return f"{name}\n{period(t, window.first_day, window.last_day)}"


class Writer:
    """Builds the document of one report in one language."""

    def __init__(self, report: Report, t: Translator, charter: Charter, departments: Sequence[str],
                 contact_hours: int = 24) -> None:
        self.report = report
        self.figures = report.figures
        self.t = t
        self.words = Words(t, charter, departments)
        self.charter = charter
        self.contact_hours = contact_hours
        self.many = len(self.figures.inside) > 1  # a total column

    # Helpers -------------------------------------------------------------------------------------

    def head(self, first: str) -> tuple[str, ...]:
        heads = [first] + [window_head(self.t, w) for w in self.figures.windows]
        if self.many:
            heads.append(self.t("Whole period"))
        return tuple(heads)

    def row(self, label: str, key: str, *, summed: bool = True) -> tuple[str, ...]:
        """A count per window, and its total over the period (`summed`: a flow, not a level such as
        the open conversations at a window's end, which has no total)."""
        values = [num(v) for v in self.figures.counts[key]]
        if self.many:
            values.append(num(self.figures.total(key)) if summed else "")
        return (label, *values)

    def shown_anywhere(self, key: str) -> bool:
        return any(not v.hidden for v in self.figures.counts.get(key, ()))

    # The document --------------------------------------------------------------------------------

    def document(self) -> Document:
        t, report = self.t, self.report
        inside = [self.figures.windows[i] for i in self.figures.inside]
        doc = Document(t.lang, t("The vigilance network: report {period}", period=period_name(t, report.period)),
                       t("For the steering group and the works council · {days}",
                         days=period(t, inside[0].first_day, inside[-1].last_day)))
        doc.sections = [self.about(), self.volumes(doc), self.promise(), self.themes(doc), self.referrals(),
                        self.feedback(), self.actions(), self.network()]
        made = format_date(report.made_at.date(), "d MMMM y", locale=t.lang)
        doc.footer = t("Waakzaam · made on {day} · anonymous figures only, never below {k} · for the steering group "
                       "and the works council", day=made, k=report.k)
        if report.demo:
            doc.footer += " · " + t("DEMO: generated data, no real person")
        return doc

    def about(self) -> Section:
        t, f, k = self.t, self.figures, self.report.k
        inside = [f.windows[i] for i in f.inside]
        blocks: list[Block] = []
        if f.empty:
            blocks.append(Para(t("There are no figures for this period: no digest with figures covers it (the bot "
                                 "was not running yet, or too few colleagues asked to say anything without "
                                 "pointing at someone). The steering group's actions and the network are below."),
                               "lead"))
        blocks.append(Facts(self.facts()))
        weeks = (inside[0].last_day - inside[0].first_day).days // 7 + 1
        days = period(t, inside[0].first_day, inside[-1].last_day)
        if len(inside) == 1:
            cut = t("The quarter is the window of {weeks} weeks of the steering group's weekly digest nearest to it, "
                    "{days}, beside the window before it.", weeks=weeks, days=days)
        else:
            cut = t("The period is cut into the {n} windows of {weeks} weeks of the steering group's weekly digest, "
                    "{days}.", n=len(inside), weeks=weeks, days=days)
        blocks.append(Para(cut + " " + t("Every figure about requests is the one the digest of that window released, "
                                         "never counted anew: this report tells nothing the digests did not.")))
        blocks.append(Para(t("A number is shown only when it is at least {k}. “–” means fewer than {k}, or held back "
                             "so that a small number cannot be worked out from the others. “≈” marks a number the "
                             "digest repeated from an earlier week because it had changed by less than {k}; the true "
                             "number is at most {near} away. A total over the period is shown only when each of its "
                             "parts is.", k=k, near=k - 1), "note"))
        missing = [w for i, w in enumerate(f.windows) if f.pubs[i] is None]
        if missing and not f.empty:
            blocks.append(Para(t("No digest covers {windows} (the bot was not running at that digest's time, or "
                                 "its settings were different): those columns are empty.",
                                 windows=", ".join(window_head(t, w).split("\n")[0] for w in missing)), "note"))
        return Section(t("About this report"), tuple(blocks))

    def facts(self) -> tuple[tuple[str, str], ...]:
        t, f, report = self.t, self.figures, self.report
        last = f.inside[-1]
        closed = sum(1 for a in report.actions if a.status in ("done", "dropped"))
        still = sum(1 for a in report.actions if a.status in ("planned", "in_progress"))
        return (
            (num(self._period_value("req")), t("requests for a conversation")),
            (percent(t, f.shares["prom"][last]), t("contacted within {hours} h (latest window)",
                                                   hours=self.contact_hours)),
            (hours(t, f.medians["wait"][last]), t("median time to first contact (latest window)")),
            (str(report.health.get("listeners", 0)), t("listeners")),
            (f"{closed} · {still}", t("actions closed · still open")),
            (str(len(report.news)), t("messages “you said, we did”")),
        )

    def volumes(self, doc: Document) -> Section:
        t, f = self.t, self.figures
        rows = [self.row(t("Requests"), "req"), self.row(t("Urgent (“I am not safe”)"), "urg")]
        rows += [self.row(t(OUTCOMES_COUNTED[o]).capitalize(), f"out|{o}") for o in OUTCOME_KEYS]
        blocks: list[Block] = [
            Para(t("How often colleagues asked the network for a conversation, and how the conversations ended.")),
            Table(self.head(t("Requests")), tuple(rows), groups=((2, t("How they ended")),), windows=True)]
        trend = [(window_head(t, w), v) for w, v in zip(f.windows, f.counts["req"])]
        if any(not v.hidden for _, v in trend):
            doc.charts["trend"] = trend
            blocks.append(Chart("trend", t("Requests per window of the period: {values}",
                                           values=", ".join(f"{h.splitlines()[0]} {num(v)}" for h, v in trend))))
        return Section(t("Volumes and trend"), tuple(blocks))

    def promise(self) -> Section:
        t, f = self.t, self.figures
        shares = [percent(t, v) for v in f.shares["prom"]]
        medians = [hours(t, v) for v in f.medians["wait"]]
        extra = ("",) if self.many else ()
        rows = (
            (t("Contact within {hours} h", hours=self.contact_hours), *shares, *extra),
            (t("Median time to first contact"), *medians, *extra),
            self.row(t("Contact later than promised"), "brc"),
        )
        return Section(t("The contact promise"), (
            Para(t("A listener makes contact within {hours} hours of a request: contact, not yet a solution. "
                   "The share counts the requests where the promise was put to the test; it is rounded to 5 points "
                   "and shown only when at least {k} requests kept it and {k} did not.",
                   hours=self.contact_hours, k=self.report.k)),
            Table(self.head(t("Promise")), rows, windows=True)))

    def themes(self, doc: Document) -> Section:
        t, f = self.t, self.figures
        groups, rows, left_out = [], [], 0
        for group, title in THEME_GROUP_NAMES.items():
            keys = [th.key for th in self.charter.themes_in(group) if th.work_related and th.key in f.themes]
            if group == "theme":
                keys += [k for k in f.themes if self.charter.theme(k) is None]  # former keys
            shown = [k for k in keys if self.shown_anywhere(f"th|{k}")]
            left_out += len(keys) - len(shown)
            if shown:
                groups.append((len(rows), t(title)))
                rows += [self.row(self.words.theme(k), f"th|{k}") for k in shown]
        rows.append(self.row(t("Private life (counted apart)"), "prv"))
        blocks: list[Block] = [
            Para(t("What the listeners tagged, by the five legal domains of psychosocial risks, how they show, and "
                   "the themes colleagues bring; only what the employer can influence, private life counted apart. "
                   "A request may carry several themes.")),
            Table(self.head(t("Theme")), tuple(rows), groups=tuple(groups), windows=True)]
        if left_out:
            blocks.append(Para(t("{n} other themes: “–” in every window.", n=left_out), "note"))
        levels = [lv for lv in f.levels]
        level_rows = []
        for key in f.themes:
            values = [self._level_total(key, lv) for lv in levels]
            if any(not v.hidden for v in values):
                level_rows.append((self.words.theme(key), *(num(v) for v in values)))
        if level_rows:
            blocks.append(Para(t("By level, over the whole period: whether the problem sits with one person, a "
                                 "team or the organisation.")))
            blocks.append(Table((t("Theme"), *(self.words.level(lv).capitalize() for lv in levels)),
                                tuple(level_rows)))
        period = [(self.words.theme(k), self._period_value(f"th|{k}")) for k in f.themes]
        ranked = sorted(((label, v) for label, v in period if not v.hidden), key=lambda x: (-x[1].value, x[0]))
        if ranked:
            doc.charts["themes"] = ranked[:10]
            blocks.append(Chart("themes", t("The themes shown over the period: {values}",
                                            values=", ".join(f"{label} {num(v)}" for label, v in ranked[:10]))))
        return Section(t("Themes, by domain and level"), tuple(blocks))

    def _period_value(self, key: str) -> Num:
        """The whole period's value: the total over its windows, or its one window's value."""
        return self.figures.total(key) if self.many else self.figures.counts[key][self.figures.inside[0]]

    def _level_total(self, theme: str, level: str) -> Num:
        return self._period_value(f"tl|{theme}|{level}")

    def referrals(self) -> Section:
        t, f = self.t, self.figures
        keys = [c for c in f.kinds if self.shown_anywhere(f"ref|{c}")]
        rows = tuple(self.row(self.words.kind(c), f"ref|{c}") for c in keys)
        blocks: list[Block] = [Para(t("Requests where the listener sent the colleague to a contact, with the colleague's "
                                      "consent for anything shared (each request once per kind)."))]
        if rows:
            blocks.append(Table(self.head(t("Contact")), rows, windows=True))
        if len(keys) < len(f.kinds):
            blocks.append(Para(t("Other contacts: “–” in every window."), "note"))
        return Section(t("Referrals by kind"), tuple(blocks))

    def feedback(self) -> Section:
        t, k = self.t, self.report.k
        rows = []
        for quarter, quality in self.report.feedback:
            if quality is None:
                rows.append((period_name(t, quarter), DASH, DASH))
            else:
                rows.append((period_name(t, quarter), str(quality.count),
                             format_decimal(round(quality.average, 1), format="0.0", locale=t.lang)))
        shown = [q for _, q in self.report.feedback if q is not None]
        if len(shown) == len(self.report.feedback) > 1:
            count = sum(q.count for q in shown)
            average = sum(q.total for q in shown) / count
            rows.append((t("Whole period"), str(count), format_decimal(round(average, 1), format="0.0",
                                                                        locale=t.lang)))
        return Section(t("Feedback from colleagues"), (
            Para(t("After a conversation a colleague may rate it from 1 to 5, anonymously. Counted by calendar "
                   "quarter, as the coordinators see it, and only from {k} ratings on, so that no single rating can "
                   "be read.", k=k)),
            Table((t("Quarter"), t("Ratings"), t("Average out of 5")), tuple(rows))))

    def actions(self) -> Section:
        t, words, report = self.t, self.words, self.report
        blocks: list[Block] = [Para(t("What the network reported as recurring, how the steering group answered, and "
                                      "what it did about it."))]
        seen_rows = []
        for signal in self.figures.signals:
            window = self.figures.windows[signal.window]
            count = num(signal.count) if signal.span == "recent" else t("12 months")
            seen_rows.append((signal_label(words, signal.dep, signal.dep_name, signal.theme),
                              window_head(t, window).split("\n")[0], count))
        if seen_rows:
            blocks.append(Table((t("Signal reported by the network"), t("Window"), t("Requests")), tuple(seen_rows),
                                widths=(3, 1.2, 1)))
        else:
            blocks.append(Para(t("The network reported no signal in this period."), "note"))
        answers = []
        for signal, actions in report.answers:
            if actions:
                state = "; ".join(f"“{a.title}”" for a in actions)
            elif signal.answer == "not_now":
                state = t("not now: “{reason}”", reason=signal.reason)
            elif signal.answer:
                state = t(SIGNAL_ANSWERS[signal.answer])
            else:
                state = t("no answer yet")
            answers.append((signal_label(words, signal.dep, signal.dep_name, signal.theme), state))
        if answers:
            blocks.append(Table((t("Signal"), t("The steering group's answer")), tuple(answers), numeric=False,
                                widths=(2, 3)))
        rows = []
        for item in report.actions:
            a = item.action
            kind = t(PRIORITY_NAMES[priority(a.urgency, a.feasibility)])
            rows.append((f"“{a.title}”" + (f"\n{signal_label(words, item.signal.dep, item.signal.dep_name, item.signal.theme)}"
                                            if item.signal else ""),
                         a.owner, f"{kind}\n{t(URGENCY[a.urgency])} · {t(FEASIBILITY[a.feasibility])}",
                         t.day(a.due), t(ACTION_STATUS[item.status]),
                         t(EFFECTS[item.effect]) if item.effect else DASH))
        if rows:
            end = format_date(report.period.end - timedelta(days=1), "d MMM y", locale=t.lang)
            blocks.append(Table((t("Action"), t("Owner"), t("Priority"), t("Due"), t("Status on {day}", day=end),
                                 t("Effect")), tuple(rows), numeric=False, widths=(3, 1.6, 2, 1.3, 1.2, 1.2)))
        else:
            blocks.append(Para(t("No action of the steering group ran in this period."), "note"))
        if report.news:
            blocks.append(Para(t("What staff were told (“you said, we did”):")))
            blocks.append(Bullets(tuple(f"{t.day(n.published_at)}: {n.text}" for n in report.news)))
        else:
            blocks.append(Para(t("Nothing was told to staff in this period (“you said, we did”)."), "note"))
        return Section(t("Signals and actions"), tuple(blocks))

    def network(self) -> Section:
        t, f, health = self.t, self.figures, self.report.health
        load = []
        listeners = [str(p.health.get("listeners", DASH)) if p else DASH for p in f.pubs]
        per = []
        for pub, value in zip(f.pubs, f.counts["req"]):
            people = pub.health.get("listeners") if pub else None
            per.append(format_decimal(round(value.value / people, 1), format="0.0", locale=t.lang)
                       if people and not value.hidden else DASH)
            if people and value.stale and per[-1] != DASH:
                per[-1] = APPROX + per[-1]
        extra = ("",) if self.many else ()
        load.append((t("Listeners"), *listeners, *extra))
        load.append(self.row(t("Open conversations at the window's end"), "open", summed=False))
        load.append((t("Requests per listener"), *per, *extra))
        blocks: list[Block] = [Para(t("The network itself: how many listeners carried the requests, and its make-up. "
                                      "It is about the listeners, volunteers everyone can choose by name, so it is "
                                      "shown in full, as in the digest.")),
                               Table(self.head(t("Load")), tuple(load), windows=True)]
        joined, left = self.report.turnover
        blocks.append(Para(t("Turnover in the period: {joined} listeners joined, {left} left.", joined=joined,
                             left=left)))
        makeup = health.get("makeup", {})
        if makeup:
            rows = []
            for field_name, labels, title in (("gender", GENDER, t("Gender")), ("age_band", AGE_BAND, t("Age")),
                                              ("status", STATUS, t("Status"))):
                rows.append((title, " · ".join(f"{t(labels[v])} {n}" for v, n in makeup.get(field_name, {}).items()
                                               if v in labels)))
            rows.append((t("Departments"), " · ".join(f"{self.words.department(d)} {n}"
                                                      for d, n in makeup.get("department", {}).items())))
            blocks.append(Table((t("Make-up at the end of the period"), ""), tuple(rows), numeric=False,
                                widths=(1.2, 4)))
            gaps = health.get("gaps", {})
            found = [t("no listener from {department}", department=self.words.department(d))
                     for d in gaps.get("department", [])]
            found += [t(GAPS[v]) for key in ("gender", "age_band", "status") for v in gaps.get(key, []) if v in GAPS]
            blocks.append(Para(t("Gaps: {gaps}.", gaps=", ".join(found)) if found else t("No gaps in the make-up.")))
        return Section(t("The network"), tuple(blocks))


__all__ = ["Writer", "Document", "Section", "Table", "Para", "Bullets", "Facts", "Chart", "period_name",
           "window_head"]
