"""A report in words, in one language: a document of sections, tables, paragraphs and charts that
the HTML and the PDF both draw (html.py, pdf.py), so they say exactly the same.

Every number about requests, ratings and team signals is a release's statement, printed as it was
released: "23", "<5" (fewer than 5), "5–12" (held back so that a smaller number cannot be worked
out; the truth lies in it). Columns are closed periods (a quarter and the one before; a year's
quarters and the year); a total column is counted, never added up. Rows that are "<5" in every
column are left out, and one line says how many.

The document is content only: layout lives in html.py and pdf.py.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from babel.dates import format_date, get_month_names

from bot.foundations.charter import Charter
from bot.foundations.i18n import Translator
from bot.foundations.vocab import (
    ACTION_STATUS,
    AGE_BAND,
    EFFECTS,
    FEASIBILITY,
    GAPS,
    GENDER,
    PRIORITY_NAMES,
    SIGNAL_ANSWERS,
    STATUS,
    THEME_GROUP_NAMES,
    URGENCY,
    priority,
)
from bot.steering.actions.followup import OVERDUE, STALLED, signal_label
from bot.steering.digest.chart import legend
from bot.steering.digest.render import (
    DASH,
    Printer,
    Words,
    days_of,
    format_average,
    median_text,
    period_label,
    promise_text,
    round_name,
)
from bot.steering.figures import Statement
from bot.steering.releases.cells import OTHER
from bot.steering.releases.view import PeriodView

from .service import Report

CHART_THEMES = 10  # the themes chart draws the most frequent ten; the table has them all


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
    columns: bool = False                 # the columns after the first are the report's periods


@dataclass(frozen=True)
class Facts:
    items: tuple[tuple[str, str], ...]    # (value, what it is)


@dataclass(frozen=True)
class Chart:
    key: str                              # which chart (charts.py draws it)
    alt: str


@dataclass(frozen=True)
class ChartData:
    """What a chart draws and every word it carries: its title, period and unit, and a legend line
    for each mark it prints ("<5", a range, "–"), so that it reads alone on a phone."""
    title: str
    about: str                            # the period, the unit, and what is left out
    bars: tuple[tuple[str, Statement], ...]
    legend: tuple[str, ...] = ()
    ticks: tuple[str, ...] = ()          # shorter labels where the bars stand side by side ("Jan\n2025")


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
    charts: dict = field(default_factory=dict)  # key -> data for charts.py (released statements only)

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
                    out += [" | ".join(c.replace("\n", " ") for c in row) for row in block.rows]
        out.append(self.footer)
        return "\n".join(out)

    def tables(self) -> list[Table]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, Table)]


class Writer:
    """Builds the document of one report in one language."""

    def __init__(self, report: Report, t: Translator, charter: Charter, departments: Sequence[str],
                 contact_hours: int = 24) -> None:
        self.report = report
        self.t = t
        self.words = Words(t, charter, departments)
        self.charter = charter
        self.contact_hours = contact_hours
        self.show = Printer(self.words)
        self.columns = report.columns
        self.counted: list[tuple[str, Statement]] = []  # every statement the tables print (for "what is hidden")

    # Helpers -------------------------------------------------------------------------------------

    def name(self, view: PeriodView) -> str:
        return self.words.period(view.period)

    def head(self, first: str, columns: Sequence[PeriodView] | None = None) -> tuple[str, ...]:
        t = self.t
        heads = [first]
        for view in columns if columns is not None else self.columns:
            if view.period.kind == "year":
                heads.append(f"{self.name(view)}\n{t('whole year')}")
            else:
                heads.append(f"{self.name(view)}\n{days_of(t, view.period)}")
        return tuple(heads)

    def cell(self, view: PeriodView, family: str, *args: str) -> str:
        statement = view.st(family, *args)
        if statement is not None:
            self.counted.append((f"{view.label}|{family}|{'|'.join(args)}", statement))
        return self.show(statement, short=True)

    def row(self, label: str, family: str, *args: str, columns: Sequence[PeriodView] | None = None
            ) -> tuple[str, ...]:
        return (label, *(self.cell(view, family, *args) for view in (columns or self.columns)))

    def all_small(self, family: str, *args: str, columns: Sequence[PeriodView] | None = None) -> bool:
        found = [view.st(family, *args) for view in (columns or self.columns)]
        return all(s is None or s.kind == "small" for s in found)

    # The document --------------------------------------------------------------------------------

    def document(self) -> Document:
        t, report = self.t, self.report
        doc = Document(t.lang, t("The vigilance network: report {period}", period=self.name(report.view)),
                       t("For the steering group and the works council · {days} · counted on {day}",
                         days=days_of(t, report.period), day=self._day(report.view)))
        doc.sections = [self.about(), self.volumes(doc), self.promise(), self.themes(doc), self.who(),
                        self.concerns(), self.team(), self.signals(), self.feedback(), self.network()]
        doc.sections.append(self.hidden())
        made = format_date(report.made_on, "d MMMM y", locale=t.lang)
        doc.footer = t("Waakzaam · made on {day} · anonymous figures of closed periods only, never below {k} · for the "
                       "steering group and the works council", day=made, k=report.k)
        if report.demo:
            doc.footer += " · " + t("DEMO: generated data, no real person")
        return doc

    def _day(self, view: PeriodView) -> str:
        return format_date(view.counted_on, "d MMMM y", locale=self.t.lang) if view.counted_on else DASH

    def about(self) -> Section:
        t, report, k = self.t, self.report, self.report.k
        view = report.view
        blocks: list[Block] = [Facts(self.facts())]
        blocks.append(Para(t("The figures of {period} were counted once, on {day}, a week after it ended, and released "
                             "then; they never change afterwards, whatever is deleted later. Each column is a closed "
                             "period, counted the same way. Nothing here is counted anew.",
                             period=self.name(view), day=self._day(view))))
        blocks.append(Para(t("Figures about what requests were about (themes, levels, departments, concerns, collective "
                             "character, referrals) count only the requests where a conversation took place: the "
                             "colleague answered the listener. Asking and withdrawing moves none of them."), "p"))
        blocks.append(Para(t("A number is given from {k} on. “<{k}” means fewer than {k}. A range such as {k}–12 is a "
                             "number held back so that a smaller one cannot be worked out from the others; the true "
                             "number lies in it. The last section lists what is held back and why.", k=k), "note"))
        if len(self.columns) > 1 and self.columns[-1].period.kind == "year":
            blocks.append(Para(t("Totals are counted, not added up: a total is exact even where one of its parts is shown "
                                 "as “<{k}” or as a range.", k=k), "note"))
        if report.first is not None:
            blocks.append(Para(t("The figures start on {day}: there is nothing to count before it.",
                                 day=format_date(report.first, "d MMMM y", locale=t.lang)), "note"))
        return Section(t("About this report"), tuple(blocks))

    def facts(self) -> tuple[tuple[str, str], ...]:
        t, report = self.t, self.report
        view = report.view
        closed = sum(1 for a in report.actions if a.status in ("done", "dropped"))
        still = sum(1 for a in report.actions if a.status in ("planned", "in_progress"))
        listeners = view.network.get("listeners")
        return (
            (self.show(view.st("req")), t("requests for a conversation")),
            (promise_text(t, view.promise), t("had contact within {hours} h", hours=self.contact_hours)),
            (median_text(t, view.median, self.contact_hours), t("median time to first contact")),
            (self.show(view.st("conv")), t("of them became a conversation")),
            (str(listeners) if listeners is not None else DASH, t("listeners on the counting day")),
            (f"{closed} · {still}", t("actions closed · still open at the end")),
        )

    def volumes(self, doc: Document) -> Section:
        t = self.t
        rows = [self.row(t("Requests"), "req"), self.row(t("Urgent (“I am not safe”)"), "urg"),
                self.row(t("A conversation took place"), "conv"), self.row(t("listened"), "end", "listened"),
                self.row(t("referred"), "end", "referred"), self.row(t("pointed to help"), "end", "signposted"),
                self.row(t("No conversation (withdrew, no reply, or still waiting on the counting day)"), "end", "none")]
        blocks: list[Block] = [
            Para(t("How often colleagues asked the network for a conversation, and how the requests ended."))]
        months = self.report.months
        if months:  # the picture first, with its heading (the PDF keeps them on one page), then the detail
            bars = tuple((self.words.period(m.period), m.st("req")) for m in months)
            short = get_month_names("abbreviated", locale=t.lang)
            doc.charts["trend"] = ChartData(
                t("Requests for a conversation per month"),
                t("{period} · number of requests", period=days_of(self.t, self.report.period)),
                bars, tuple(legend(t, [s for _, s in bars], self.report.k)),
                tuple(f"{short[m.period.start.month]}\n{m.period.start.year}" for m in months))
            blocks.append(Chart("trend", t("Requests per month: {values}", values=", ".join(
                f"{self.words.period(m.period)} {self.show(m.st('req'), short=True)}" for m in months))))
        blocks.append(Table(self.head(t("Requests")), tuple(rows), groups=((3, t("How the conversations ended")),),
                            columns=True))
        return Section(t("Volumes and trend"), tuple(blocks))

    def promise(self) -> Section:
        t = self.t
        hours = self.contact_hours
        rows = [(t("Contact within {hours} h", hours=hours), *(promise_text(t, v.promise) for v in self.columns)),
                self.row(t("Without contact within {hours} h", hours=hours), "late"),
                self.row(t("of which the deadline passed"), "missed"),
                (t("Median time to first contact"), *(median_text(t, v.median, hours) for v in self.columns))]
        blocks: list[Block] = [
            Para(t("A listener makes contact within {hours} hours of a request: contact, not yet a solution. The share "
                   "counts the requests where the promise was put to the test (contact was made, or the deadline "
                   "passed). With fewer than {k} without contact in time, it is a lower bound that contains the truth.",
                   hours=hours, k=self.report.k)),
            Table(self.head(t("The promise")), tuple(rows), columns=True)]
        months = self.report.months
        if len(months) > 1:
            month_rows = tuple((self.words.period(m.period), self.cell(m, "req"), promise_text(t, m.promise),
                                median_text(t, m.median, hours)) for m in months)
            blocks.append(Para(t("Month by month:")))
            blocks.append(Table((t("Month"), t("Requests"), t("Contact within {hours} h", hours=hours),
                                 t("Median")), month_rows, widths=(1.6, 1, 1.4, 1)))
        return Section(t("The contact promise"), tuple(blocks))

    def themes(self, doc: Document) -> Section:
        t = self.t
        found = [th for (th,), _ in self.report.view.family("th")]
        groups, rows, left_out = [], [], 0
        for group, title in THEME_GROUP_NAMES.items():
            keys = [th.key for th in self.charter.themes_in(group) if th.work_related and th.key in found]
            if group == "theme":
                keys += [key for key in found if self.charter.theme(key) is None]  # former keys
            shown = [key for key in keys if not self.all_small("th", key)]
            left_out += len(keys) - len(shown)
            if shown:
                groups.append((len(rows), t(title)))
                rows += [self.row(self.words.theme(key), "th", key) for key in shown]
        rows.append(self.row(t("Private life (counted apart)"), "prv"))
        blocks: list[Block] = [
            Para(t("What the listeners tagged, by the five legal domains of psychosocial risks, how they show, and "
                   "the themes colleagues bring; only what the employer can influence, private life counted apart. "
                   "A request may have several themes, so the themes add up to more than the conversations.")),
        ]
        view = self.report.view
        work = [th.key for th in self.charter.work_themes]
        ranked = [(self.words.theme(key), s) for key, s in view.themes(work) if s.kind != "small"][:CHART_THEMES]
        if ranked:
            about = t("{period} · number of conversations", period=days_of(t, view.period))
            if len(ranked) < len(view.themes(work)):
                about += "\n" + t("The {n} most frequent work-related themes; all of them in the table below.",
                                   n=len(ranked))
            doc.charts["themes"] = ChartData(t("The most frequent themes of {period}", period=self.name(view)), about,
                                             tuple(ranked), tuple(legend(t, [s for _, s in ranked], self.report.k)))
            blocks.append(Chart("themes", t("The largest themes of {period}: {values}", period=self.name(view),
                                            values=", ".join(f"{label} {self.show(s, short=True)}" for label, s in ranked))))
        blocks.append(Table(self.head(t("Theme")), tuple(rows), groups=tuple(groups), columns=True))
        if left_out:
            blocks.append(Para(t("{n} other themes: <{k} in every column.", n=left_out, k=self.report.k), "note"))
        if view.family("tl"):
            levels = [lv.key for lv in self.charter.levels]
            level_rows = []
            for key in found:
                cells = [view.st("tl", key, lv) for lv in levels]
                if any(s is not None and s.kind != "small" for s in cells):
                    level_rows.append((self.words.theme(key),
                                       *(self.cell(view, "tl", key, lv) for lv in levels)))
            if level_rows:
                blocks.append(Para(t("By level, over the whole year: whether the problem sits with one person, a "
                                     "team or the organisation.")))
                blocks.append(Table((t("Theme"), *(self.words.level(lv).capitalize() for lv in levels)),
                                    tuple(level_rows)))
        return Section(t("Themes"), tuple(blocks))

    def who(self) -> Section:
        t = self.t
        levels = [lv.key for lv in self.charter.levels]
        rows = [self.row(self.words.level(lv).capitalize(), "lvl", lv) for lv in levels]
        blocks: list[Block] = [Para(t("Whether the problem sits with one person, a team or the organisation, and "
                                      "where the colleagues work.")),
                               Table(self.head(t("Level")), tuple(rows), columns=True)]
        deps: list[str] = []
        for view in self.columns:
            for (dep,), _ in view.family("dep"):
                if dep != OTHER and dep not in deps:
                    deps.append(dep)
        dep_rows = []
        for dep in deps:
            cells = []
            for view in self.columns:
                s = view.st("dep", dep)
                if s is None:  # not among the period's departments: it had no conversation then
                    cells.append("0")
                elif s.kind == "small":
                    cells.append(t("in other departments"))
                else:
                    cells.append(self.cell(view, "dep", dep))
            if any(c != t("in other departments") for c in cells):
                dep_rows.append((self.words.dep(dep, self.report.view.name(dep)), *cells))
        if any(view.has("dep", OTHER) for view in self.columns):
            dep_rows.append((t("Other departments"), *(self.cell(view, "dep", OTHER) if view.has("dep", OTHER)
                                                       else "0" for view in self.columns)))
        blocks.append(Table(self.head(t("Department")), tuple(dep_rows), columns=True))
        blocks.append(Para(t("A department stands alone from {k} conversations in a period; below, it is counted in "
                             "“other departments”, so which ones are together differs by period.",
                             k=self.report.k), "note"))
        return Section(t("Levels and departments"), tuple(blocks))

    def concerns(self) -> Section:
        t = self.t
        rows = [self.row(t("Worried about a colleague"), "con"), self.row(t("With a collective character"), "col")]
        kinds = []
        for view in self.columns:
            kinds += [kind for (kind,), _ in view.family("ref") if kind not in kinds]
        shown = [kind for kind in kinds if not self.all_small("ref", kind)]
        ref_rows = [self.row(self.words.kind(kind), "ref", kind) for kind in shown]
        blocks: list[Block] = [
            Para(t("Requests from someone worried about a colleague, and problems a listener marked as concerning a "
                   "group. Individual requests with a collective character go to the employer and the prevention "
                   "committee (a risk analysis of the work situation).")),
            Table(self.head(t("Conversations")), tuple(rows), columns=True),
            Para(t("Referred to a contact, with the colleague's consent for anything shared (each request once per "
                   "kind)."))]
        if ref_rows:
            blocks.append(Table(self.head(t("Contact")), tuple(ref_rows), columns=True))
        if len(shown) < len(kinds):
            blocks.append(Para(t("{n} other contacts: <{k} in every column.", n=len(kinds) - len(shown),
                                 k=self.report.k), "note"))
        return Section(t("Concerns, collective character and referrals"), tuple(blocks))

    def team(self) -> Section:
        t = self.t
        quarters = [v for v in self.columns if v.period.kind == "quarter"]
        pairs: list[tuple[str, str]] = []
        for view in quarters:
            for (dep, theme), s in view.family("tsd"):
                if s.kind != "small" and (dep, theme) not in pairs:
                    pairs.append((dep, theme))
        blocks: list[Block] = [Para(t("Employees can tell the network that something is wrong in their team, without a "
                                      "conversation: a department, themes and a level, no text. One per person and "
                                      "quarter; shown from {n}, so that one person's own signal never shows who else "
                                      "signalled. They are never added to the requests, and there is no year total.",
                                      n=self.report.k + 1))]
        if pairs:
            rows = tuple((f"{self.words.dep(dep, self.report.view.name(dep))} · {self.words.theme(theme)}",
                          *(self.cell(view, "tsd", dep, theme) for view in quarters)) for dep, theme in pairs)
            blocks.append(Table(self.head(t("Department and theme"), quarters), rows, columns=True))
        else:
            blocks.append(Para(t("Fewer than {n} for every department and theme in every quarter.",
                                 n=self.report.k + 1), "note"))
        return Section(t("Signals without a conversation"), tuple(blocks))

    def signals(self) -> Section:
        t, words, report = self.t, self.words, self.report
        view = report.view
        blocks: list[Block] = [Para(t("What the network reported as recurring, how the steering group answered, and "
                                      "what it did about it."))]
        seen = []
        for signal, item, actions in report.answers:
            label = signal_label(words, item["dep"], item.get("dep_name") or view.name(item["dep"]), item["theme"])
            count = view.signal_count(item["dep"], item["theme"])
            rounds = ", ".join(round_name(t, r) for r in item.get("rounds", []))
            if actions:
                answer = "; ".join(f"“{a.title}”" for a in actions)
            elif signal is not None and signal.answer == "not_now":
                answer = t("not now: “{reason}”", reason=signal.reason)
            elif signal is not None and signal.answer:
                answer = t(SIGNAL_ANSWERS[signal.answer])
            else:
                answer = t("no answer yet")
            seen.append((label, rounds, self.show(count, short=True) if count is not None else DASH, answer))
        if seen:
            blocks.append(Table((t("Signal reported by the network"), t("Review"),
                                 t("Conversations in {period}", period=self.name(view)), t("The steering group's answer")),
                                tuple(seen), numeric=False, widths=(2.4, 1.3, 1, 2.4)))
            suggestions = [f"{signal_label(words, item['dep'], view.name(item['dep']), item['theme'])}: “{text}”"
                           for _, item, _ in report.answers for text in item.get("suggestions", [])]
            if suggestions:
                blocks.append(Para(t("Suggestions from the network:")))
                blocks.append(Bullets(tuple(suggestions)))
        else:
            blocks.append(Para(t("The network reported no signal in this period."), "note"))
        rows = []
        for item in report.actions:
            a = item.action
            kind = t(PRIORITY_NAMES[priority(a.urgency, a.feasibility)])
            state = t(ACTION_STATUS[item.status])
            flags = []
            if item.stalled:
                flags.append(t("{flag} stalled {days} days", flag=STALLED, days=item.age))
            if item.overdue:
                flags.append(t("{flag} overdue", flag=OVERDUE))
            if flags:
                state += "\n" + " · ".join(flags)
            rows.append((f"“{a.title}”" + (f"\n{signal_label(words, item.signal.dep, item.signal.dep_name, item.signal.theme)}"
                                            if item.signal else ""),
                         a.owner, f"{kind}\n{t(URGENCY[a.urgency])} · {t(FEASIBILITY[a.feasibility])}",
                         t.day(item.due), state, t(EFFECTS[item.effect]) if item.effect else DASH))
        if rows:
            end = format_date(report.period.end, "d MMM y", locale=t.lang)
            blocks.append(Para(t("Each action as it stood at the end of the period; “stalled” after {days} days without "
                                 "an update, as the digest flags it.", days=report.stall_days)))
            blocks.append(Table((t("Action"), t("Owner"), t("Priority"), t("Due"), t("Status on {day}", day=end),
                                 t("Effect")), tuple(rows), numeric=False, widths=(3, 1.6, 2, 1.3, 1.6, 1.2)))
        else:
            blocks.append(Para(t("No action of the steering group ran in this period."), "note"))
        if report.news:
            blocks.append(Para(t("What staff were told (“you said, we did”):")))
            blocks.append(Bullets(tuple(f"{t.day(n.published_at)}: {n.text}" for n in report.news)))
        else:
            blocks.append(Para(t("Nothing was told to staff in this period (“you said, we did”)."), "note"))
        return Section(t("Signals and actions"), tuple(blocks))

    def feedback(self) -> Section:
        t, k = self.t, self.report.k
        rows = [self.row(t("Ratings"), "rat"), self.row(t("With a written comment"), "com"),
                (t("Average out of 5"), *(format_average(t, v.average) if v.average is not None else DASH
                                          for v in self.columns))]
        return Section(t("Feedback from colleagues"), (
            Para(t("After a conversation a colleague may rate it from 1 to 5, anonymously, by the day it was given. "
                   "The count is given from {k} ratings, the average from {twice}, so that no single rating can be "
                   "read; written comments stay sealed and are only counted.", k=k, twice=2 * k)),
            Table(self.head(t("Feedback")), tuple(rows), columns=True)))

    def network(self) -> Section:
        t = self.t
        health = self.report.view.network
        blocks: list[Block] = [Para(t("The network itself on the counting day: how many listeners, and its make-up. It "
                                      "is about the listeners, volunteers everyone can choose by name, so it is shown "
                                      "in full."))]
        if health:
            joined, left = health.get("turnover", (0, 0))
            blocks.append(Para(t("{listeners} listeners, {paused} of them paused. In the period {joined} joined and "
                                 "{left} left.", listeners=health.get("listeners", 0), paused=health.get("paused", 0),
                                 joined=joined, left=left)))
            makeup = health.get("makeup", {})
            rows = []
            for field_name, labels, title in (("gender", GENDER, t("Gender")), ("age_band", AGE_BAND, t("Age")),
                                              ("status", STATUS, t("Status"))):
                rows.append((title, " · ".join(f"{t(labels[v])}\u00a0{n}" for v, n in makeup.get(field_name, {}).items()
                                               if v in labels)))  # a value never parted from its count
            rows.append((t("Departments"), " · ".join(f"{self.words.department(d)}\u00a0{n}"
                                                      for d, n in makeup.get("department", {}).items())))
            blocks.append(Table((t("Make-up"), ""), tuple(rows), numeric=False, widths=(1.2, 4)))
            gaps = health.get("gaps", {})
            found = [t("no listener from {department}", department=self.words.department(d))
                     for d in gaps.get("department", [])]
            found += [t(GAPS[v]) for key in ("gender", "age_band", "status") for v in gaps.get(key, []) if v in GAPS]
            blocks.append(Para(t("Gaps: {gaps}.", gaps=", ".join(found)) if found else t("No gaps in the make-up.")))
        return Section(t("The network"), tuple(blocks))

    def hidden(self) -> Section:
        """What is held back and why, from the statements the tables printed."""
        t, k = self.t, self.report.k
        exact = sum(1 for _, s in self.counted if s.kind == "exact")
        small = sum(1 for _, s in self.counted if s.kind == "small")
        held = [(key, s) for key, s in self.counted if s.kind in ("protected", "withheld")]
        blocks: list[Block] = [Para(t("Of the {n} figures in the tables of this report, {exact} are exact, {small} are "
                                      "“<{k}” and {held} are ranges held back to protect a smaller number.",
                                      n=len(self.counted), exact=exact, small=small, held=len(held), k=k))]
        if held:
            blocks.append(Bullets(tuple(dict.fromkeys(self._held(key, s) for key, s in held))))
        if any(s.kind == "withheld" for _, s in held):
            blocks.append(Para(t("“–”: not shown, so that nobody can be singled out."), "note"))
        blocks.append(Para(t("A small number could point at a colleague: it is shown as “<{k}”. Where the other numbers "
                             "of a table and its total would let someone work a small number out, one more number is "
                             "held back and shown as the range anyone could work out anyway. Before anything is "
                             "released, an auditor checks everything ever released to the steering group and the "
                             "coordinators, together, so that no small number can be narrowed to a single value.",
                             k=k), "note"))
        return Section(t("What is hidden and why"), tuple(blocks))

    def _held(self, key: str, statement: Statement) -> str:
        label, family, *args = key.split("|")
        words = self.words
        what = {"th": lambda: words.theme(args[0]), "dep": lambda: words.dep(args[0], self.report.view.name(args[0])),
                "ref": lambda: words.kind(args[0]), "lvl": lambda: words.level(args[0])}.get(family)
        name = what() if what else {"req": self.t("Requests"), "conv": self.t("Conversations"),
                                    "con": self.t("Worried about a colleague"),
                                    "col": self.t("With a collective character"),
                                    "late": self.t("Without contact in time"), "missed": self.t("Deadline passed"),
                                    "urg": self.t("Urgent"), "prv": self.t("Private life"),
                                    "end": self.t("How the requests ended")}.get(family, family)
        return f"{name}, {words.period(label)}: {self.show(statement, short=True)}"


period_name = period_label

__all__ = ["Writer", "Document", "Section", "Table", "Para", "Bullets", "Facts", "Chart", "ChartData", "period_name",
           "CHART_THEMES"]
