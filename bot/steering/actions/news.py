""""You said, we did" (004:3541-3555): telling staff what changed keeps a network alive; at the
glass company the subject died after five years of silence.

A coordinator or a steering member drafts a short message, in their own words; the bot warns
when it seems to name someone (bot/foundations/naming.py) and says the text goes to many colleagues. A
second person (another coordinator or steering member, never the author) approves it: the
approval is re-checked in one transaction, so two approvals at once publish it once. Both must
have held their role for WAAKZAAM_TWO_PERSON_WAIT_DAYS, and every other coordinator and steering
member hears who wrote and who approved it (bot/network/two_person.py). It then goes, in the
same transaction, to every listener and to every employee who follows the network's news
(chosen in the menu, at the end of a conversation, or with /news).

Every reader reads it in their language. It is written once, in its author's language; the
preview counts the readers by language and asks the author (or, before publishing, the second
person) for a version in each other language. A reader whose language has no version gets the
author's text, marked "(in Dutch)" in their own language.

A message may carry the network's use figures. They are read from the latest closed quarter the
newest digest showed (requests, contact within the promise, listeners on its counting day), never
counted anew: the same released statements the steering group saw, so a message cannot tell
anything a release did not (see docs/steering.md, "How small numbers are protected").

Each quarter the steering group is reminded when actions were closed and nothing was told.
"""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, time


from bot.foundations import calendar, callbacks, clock
from bot.foundations.core import Core
from bot.foundations.i18n import LANGUAGES, Translator
from bot.foundations.model import Payload, Person, Result
from bot.foundations.naming import Naming
from bot.foundations.storage.news import News
from bot.network.membership import news_button
from bot.network.two_person import STAFF, TwoPeople
from bot.steering.digest.model import Published, published_with
from bot.steering.digest.render import days_of, period_label

log = logging.getLogger(__name__)

MAX_NEWS = 700
NUDGE_AT = time(9, 0)  # the quarterly reminder goes in the morning of the quarter's first day
UNTOLD = "untold"


@dataclass(frozen=True)
class Drafted:
    result: Result
    news_id: int | None = None
    flagged: tuple[str, ...] = ()  # words that may point at a person (shown to the author only)


@dataclass(frozen=True)
class Decided:
    result: Result
    recipients: int = 0
    ready_at: datetime | None = None  # TOO_SOON: from when the person may take part


@dataclass(frozen=True)
class Submitted:
    result: Result
    asked: int = 0                    # how many may approve it, and were asked
    text: str = ""                    # the message as it will read, in its author's language
    ready_at: datetime | None = None  # TOO_SOON: from when the author may ask


def may_write(person: Person) -> bool:
    return person.is_coordinator or person.is_steering


def figures_line(t: Translator, pub: Published | None, contact_hours: int = 24) -> str | None:
    """The network's use in the latest closed quarter a digest showed, from its release only: an
    exact number as it is, a bound as a bound ("at least 94 %"); a number held back stays unsaid."""
    view = pub.quarter if pub is not None and pub.current else None
    if view is None:
        return None
    requests = view.st("req")
    parts = []
    if requests is not None and requests.is_exact:
        parts.append(t("In {period} ({days}), colleagues asked the network for a conversation {count} times.",
                       period=period_label(t, view.period), days=days_of(t, view.period), count=requests.value))
        found = view.promise
        if found is not None and found.kind in ("share", "at_least"):
            share = t("{value}%", value=found.low) if found.kind == "share" else t("at least {value}%", value=found.low)
            parts.append(t("{share} of them heard from a listener within {hours} hours.", share=share,
                           hours=contact_hours))
    listeners = pub.health.get("listeners") if pub.health else None
    if listeners:
        parts.append(t("The network has {n} listeners.", n=listeners))
    return " ".join(parts) or None


def body_for(t: Translator, news: News) -> str:
    """The message in the reader's language; else its author's text, marked as being in another
    language, in the reader's own words."""
    found = news.text_in(t.lang)
    if found is not None:
        return found
    return t("(in {language})", language=t.language_name(news.language)) + "\n" + news.text


def message_text(t: Translator, body: str, figures: str | None) -> str:
    """What a listener or an employee reads."""
    parts = [t("📣 You said, we did"), body]
    if figures:
        parts.append(figures)
    parts.append(t("From the steering group and the vigilance network."))
    return "\n\n".join(parts)


class NewsDesk:
    def __init__(self, core: Core) -> None:
        self.core = core
        self.settings = core.settings
        self.naming = Naming(core.settings.departments, core.charter)
        self.two = TwoPeople(core)

    async def latest_digest(self) -> tuple[str | None, Published | None]:
        stored = await self.core.digests.latest()
        return (stored.week, await self._load(stored.published)) if stored else (None, None)

    async def _load(self, published: dict) -> Published:
        """A digest with the quarter it showed (the only release the news line reads)."""
        bodies = {}
        if label := published.get("quarter"):
            if (found := await self.core.releases.get(label)) is not None:
                bodies[label] = (found.body, clock.iso(found.made_at))
        return published_with(published, bodies)

    async def render(self, t: Translator, news: News) -> str:
        """The message as its recipients will read it, with the figures of the newest digest."""
        figures = None
        if news.figures:
            week, pub = await self.latest_digest()
            if news.state == "published" and news.digest_week and news.digest_week != week:
                stored = await self.core.digests.get(news.digest_week)
                pub = await self._load(stored.published) if stored else None
            figures = figures_line(t, pub, self.settings.contact_hours)
        return message_text(t, body_for(t, news), figures)

    async def readers(self) -> dict[str, int]:
        """How many of those it would go to read each language (every language, even at 0): one
        read of the audience's languages, as every preview and approval question asks it."""
        counts = dict.fromkeys(LANGUAGES, 0)
        for code in (await self.core.people.languages(await self.audience())).values():
            counts[Translator(code).lang] += 1
        return counts

    @staticmethod
    def missing(news: News, readers: dict[str, int]) -> list[str]:
        """The readers' languages it has no version in yet."""
        if news.language is None:  # written before languages were kept: it goes as it is
            return []
        return [code for code, n in readers.items() if n and code != news.language and code not in news.versions]

    def languages_text(self, t: Translator, news: News, readers: dict[str, int]) -> str:
        """For its author and the second person: who reads which language, the other versions in
        full (they approve those too), and who would get it marked as in another language."""
        lines = [t("Its readers: {counts}.", counts=", ".join(
            t("{n} in {language}", n=n, language=t.language_name(code)) for code, n in readers.items() if n)
            or t("nobody yet"))]
        for code, text in sorted(news.versions.items()):
            if code != t.lang:
                lines.append(t("The version in {language}:", language=t.language_name(code)) + "\n" + text)
        if news.language is not None and news.language != t.lang and t.lang in news.versions:
            lines.append(t("The text as written, in {language}:", language=t.language_name(news.language)) + "\n"
                         + news.text)
        if missing := self.missing(news, readers):
            lines.append(t("No version yet in {languages}: those readers would get the text in {language}, marked "
                           "so. Add a version below.", languages=", ".join(t.language_name(c) for c in missing),
                           language=t.language_name(news.language)))
        return "\n\n".join(lines)

    @staticmethod
    def version_buttons(t: Translator, news: News, readers: dict[str, int]) -> tuple:
        """A button per language its readers use, other than the one it is written in."""
        if news.language is None:
            return ()
        return tuple(((t("Rewrite the version in {language}", language=t.language_name(code)) if code in news.versions
                       else t("Add the version in {language}", language=t.language_name(code)),
                       callbacks.NEWS_VERSION(news.id, code)),)
                     for code, n in readers.items() if n and code != news.language)

    # The author ---------------------------------------------------------------------------------

    async def draft(self, person: Person, text: str, action_id: int | None = None,
                    origin: int | None = None) -> Drafted:
        if not may_write(person):
            return Drafted(Result.NOT_ALLOWED)
        text = " ".join((text or "").split())
        async with self.core.db.transaction():
            if (done := await self.core.news.by_origin(origin)) is not None:
                return Drafted(Result.OK, done.id, tuple(self.naming.suspicious(done.text)))
            if not text:
                return Drafted(Result.EMPTY)
            if len(text) > MAX_NEWS:
                return Drafted(Result.TOO_LONG)
            if action_id is not None and await self.core.actions.get(action_id) is None:
                action_id = None
            flagged = tuple(self.naming.suspicious(text))
            news_id = await self.core.news.add(person.id, text, action_id=action_id, flagged=bool(flagged),
                                               origin=origin, language=person.language)
        return Drafted(Result.OK, news_id, flagged)

    async def _own_draft(self, person: Person, news_id: int) -> tuple[Result, News | None]:
        if not may_write(person):
            return Result.NOT_ALLOWED, None
        news = await self.core.news.get(news_id)
        if news is None or news.author != person.id:
            return Result.NOT_FOUND, None
        if news.state != "draft":
            return Result.ALREADY, news
        return Result.OK, news

    async def view(self, person: Person, news_id: int) -> tuple[Result, News | None, str]:
        """A message as its recipients will read it: for its author, and for those who may approve it."""
        if not may_write(person):
            return Result.NOT_ALLOWED, None, ""
        news = await self.core.news.get(news_id)
        if news is None or news.state == "returned" or (news.state == "draft" and news.author != person.id):
            return Result.NOT_FOUND, None, ""
        return Result.OK, news, await self.render(Translator(person.language), news)

    async def _change_own_draft(self, person: Person, news_id: int,
                                change: Callable[[int], Awaitable[object]]) -> Result:
        """`change(news_id)` on the person's own draft, in one transaction; else why not."""
        async with self.core.db.transaction():
            result, news = await self._own_draft(person, news_id)
            if result is not Result.OK:
                return result
            await change(news.id)
        return Result.OK

    async def set_language(self, person: Person, news_id: int, language: str) -> Result:
        """The author says which language they wrote it in."""
        if language not in LANGUAGES:
            return Result.UNKNOWN
        return await self._change_own_draft(person, news_id, lambda i: self.core.news.set_language(i, language))

    async def may_write_version(self, person: Person, news_id: int, language: str) -> tuple[Result, News | None]:
        """Its author while a draft, or a second person while it waits for approval, in a language
        other than the one it is written in."""
        if not may_write(person):
            return Result.NOT_ALLOWED, None
        news = await self.core.news.get(news_id)
        if news is None or news.state == "returned" or (news.state == "draft" and news.author != person.id):
            return Result.NOT_FOUND, None
        if news.state == "published" or (news.state == "pending" and news.author == person.id):
            return Result.ALREADY, news
        if language not in LANGUAGES or language == news.language or news.language is None:
            return Result.UNKNOWN, news
        return Result.OK, news

    async def write_version(self, person: Person, news_id: int, language: str, text: str) -> Drafted:
        """The message in another language; the bot warns, as for the first text, when it seems to
        name someone (and the second person sees the warning)."""
        text = " ".join((text or "").split())
        async with self.core.db.transaction():
            result, news = await self.may_write_version(person, news_id, language)
            if result is not Result.OK:
                return Drafted(result, news_id)
            if not text:
                return Drafted(Result.EMPTY, news_id)
            if len(text) > MAX_NEWS:
                return Drafted(Result.TOO_LONG, news_id)
            flagged = tuple(self.naming.suspicious(text))
            await self.core.news.set_version(news.id, language, text)
            if flagged:
                await self.core.news.flag(news.id)
        return Drafted(Result.OK, news_id, flagged)

    async def set_figures(self, person: Person, news_id: int, figures: bool) -> Result:
        return await self._change_own_draft(person, news_id, lambda i: self.core.news.set_figures(i, figures))

    async def drop(self, person: Person, news_id: int) -> Result:
        result = await self._change_own_draft(person, news_id,
                                              lambda i: self.core.news.send_back(i, None, only_if=("draft",)))
        if result is Result.OK:
            await self.core.db.checkpoint()  # deleted at its author's word: gone from the files at once
        return result

    async def reviewers(self, author: int) -> list[int]:
        """Who may approve: every coordinator and steering member but the author who has held the
        role long enough to take part in a decision that takes two people."""
        return [p for p in await self.two.staff(STAFF) if p != author and await self.two.may_take_part(p, STAFF)]

    async def submit(self, person: Person, news_id: int) -> Submitted:
        """Ask a second person: every other coordinator and steering member who may take part gets
        the message to approve. Result.LAST when nobody else may yet (it stays a draft);
        Result.TOO_SOON when the author got their role too recently. Rendered once per language."""
        async with self.core.db.transaction():
            result, news = await self._own_draft(person, news_id)
            if result is not Result.OK:
                return Submitted(result)
            if ready := await self.two.too_soon(person.id, STAFF):
                return Submitted(Result.TOO_SOON, ready_at=ready)
            reviewers = await self.reviewers(person.id)
            if not reviewers:
                return Submitted(Result.LAST)
            await self.core.news.submit(news.id)
            news = await self.core.news.get(news.id)
            readers = await self.readers()
            texts: dict[str, str] = {}
            for reviewer in reviewers:
                t = await self.core.translator(reviewer)
                if t.lang not in texts:
                    texts[t.lang] = await self.render(t, news)
                await self.core.outbox.enqueue(reviewer, Payload(
                    self.approval_text(t, news, readers, texts[t.lang]), self.approval_buttons(t, news, readers),
                    protect=True))
            t = Translator(person.language)
            text = texts.get(t.lang) or await self.render(t, news)
        return Submitted(Result.OK, len(reviewers), text)

    def approval_text(self, t: Translator, news: News, readers: dict[str, int], rendered: str) -> str:
        """The question to the second person, around the message as rendered for them."""
        lines = [t("📝 A “you said, we did” message waits for a second person. Once approved it goes to {n} "
                   "listeners and employees who follow the network's news. It reads:", n=sum(readers.values())),
                 rendered, self.languages_text(t, news, readers)]
        if news.flagged:
            lines.append(t("⚠ The bot warned its author that it may contain a name. Nothing may point at a person."))
        return "\n\n".join(lines)

    def approval_buttons(self, t: Translator, news: News, readers: dict[str, int]):
        """Publish or send back; and, for the second person too, a version in a missing language."""
        return (((t("Publish it"), callbacks.NEWS_DECIDE(news.id, "ok")),
                 (t("Send it back"), callbacks.NEWS_DECIDE(news.id, "back"))),
                *self.version_buttons(t, news, readers))

    # The second person --------------------------------------------------------------------------

    async def audience(self) -> list[int]:
        """Every active listener and every employee who follows the network's news, once each."""
        listeners = [m.person_id for m in await self.core.members.active()]
        return sorted(set(listeners) | set(await self.core.volunteers.subscribers("news")))

    async def decide(self, person: Person, news_id: int, approve: bool) -> Decided:
        """Publish (to everyone at once, in this transaction) or send back; the author is told. Sent
        back, its text is gone from the database files before this returns."""
        if not may_write(person):
            return Decided(Result.NOT_ALLOWED)
        async with self.core.db.transaction():
            news = await self.core.news.get(news_id)
            if news is None:
                return Decided(Result.NOT_FOUND)
            if news.state != "pending":
                return Decided(Result.ALREADY)
            if news.author == person.id:
                return Decided(Result.NOT_ALLOWED)  # the second pair of eyes must be someone else's
            if ready := await self.two.too_soon(person.id, STAFF):
                return Decided(Result.TOO_SOON, ready_at=ready)
            if approve:
                recipients = await self._publish(news, person)
                if recipients is None:
                    return Decided(Result.ALREADY)
            else:
                await self.core.news.send_back(news.id, person.id)
                await self._tell_author(news, person, False, 0)
        if not approve:
            await self.core.db.checkpoint()  # sent back: its text is gone from the files now, not at night
            return Decided(Result.OK)
        log.info("news %d published to %d people", news_id, recipients)
        return Decided(Result.OK, recipients)

    async def _publish(self, news: News, approver: Person) -> int | None:
        """Inside the decision's transaction: to every listener and follower, and the author is told.
        None when someone published it first."""
        week, _ = await self.latest_digest()
        listeners = {m.person_id for m in await self.core.members.active()}
        audience = await self.audience()
        if not await self.core.news.publish(news.id, approver.id, week if news.figures else None, len(audience)):
            return None
        news = await self.core.news.get(news.id)
        texts: dict[str, str] = {}  # one rendering per language, not per recipient
        languages = await self.core.people.languages(audience)
        for person_id in audience:
            t = Translator(languages[person_id])
            if t.lang not in texts:
                texts[t.lang] = await self.render(t, news)
            buttons = () if person_id in listeners else ((news_button(t, True),),)
            await self.core.outbox.enqueue(person_id, Payload(texts[t.lang], buttons))
        await self._tell_author(news, approver, True, len(audience))
        await self._announce(news, approver, len(audience), texts)
        return len(audience)

    async def _announce(self, news: News, approver: Person, recipients: int, texts: dict[str, str]) -> None:
        """Every coordinator and steering member but the two hears who wrote and who approved it,
        around the message as published (`texts`: its rendering per language, added to as needed)."""
        async def compose(t, _):
            if t.lang not in texts:
                texts[t.lang] = await self.render(t, news)
            return Payload(t("📣 A “you said, we did” went to {n} people: written by {author}, approved by {approver}. "
                             "It reads:", n=recipients, author=await self.two.named(t, news.author),
                             approver=await self.two.named(t, approver.id)) + "\n\n" + texts[t.lang],
                           protect=True)

        await self.two.announce([p for p in await self.two.staff(STAFF) if p not in (news.author, approver.id)],
                                compose)

    async def _tell_author(self, news: News, decider: Person, published: bool, recipients: int) -> None:
        if news.author is None or not (await self.core.people.get(news.author)):
            return
        t = await self.core.translator(news.author)
        name = await self.core.people.name(decider.id) or t("A second person")
        text = (t("{name} approved your “you said, we did” message: it went to {n} people.", name=name, n=recipients)
                if published else
                t("{name} sent your “you said, we did” message back, so it was not published. Its text is deleted; "
                  "you may write a new one with /news.", name=name))
        await self.core.outbox.enqueue(news.author, Payload(text))

    # /news ---------------------------------------------------------------------------------------

    async def overview(self, person: Person) -> tuple[bool, list[News], list[News], News | None]:
        """Whether the person follows the news; drafts of theirs; messages waiting for a second
        person that they may approve; the latest published message."""
        follows = await self.core.volunteers.subscribed(person.id, "news")
        mine, waiting = [], []
        if may_write(person):
            mine = await self.core.news.drafts_of(person.id)
            waiting = [n for n in await self.core.news.pending() if n.author != person.id]
        latest = await self.core.news.published(limit=1)
        return follows, mine, waiting, latest[0] if latest else None

    # Each quarter: actions closed and nothing told -----------------------------------------------

    async def nudge(self, now: datetime | None = None) -> bool:
        """In the morning of a quarter's first day (or the first sweep after): the steering group is
        reminded of the actions closed in the quarter before that nothing was told about. Once per
        quarter, recorded with its messages."""
        now = now or clock.now()
        local = self.core.calendar.local(now)
        quarter = calendar.quarter_of(local.date())
        if local.date() == quarter.start and local.time() < NUDGE_AT:
            return False
        previous = calendar.previous_quarter(local.date())
        if await self.core.news.nudged(UNTOLD, previous.label):
            return False
        closed = await self.core.actions.closed_between(*previous.days())
        untold = [a for a in closed if not await self.core.news.told_about(a.id, a.closed_at.isoformat())]
        async with self.core.db.transaction():
            if not await self.core.news.nudge_once(UNTOLD, previous.label):
                return False
            for person_id in await self.core.people.with_role("steering") if untold else []:
                t = await self.core.translator(person_id)
                titles = "\n".join(f"• “{a.title}”" for a in untold[:10])
                await self.core.outbox.enqueue(person_id, Payload(
                    t("Actions closed last quarter ({quarter}) that nothing was told to staff about yet:\n{titles}"
                      "\n\nSilence lets the subject die. Tell the listeners and the employees who follow the news "
                      "what changed: a short “you said, we did” is enough.", quarter=previous.label, titles=titles),
                    (((t("Write a “you said, we did”"), callbacks.NEWS_DRAFT()),),), protect=True))
        if untold:
            log.info("news: quarterly reminder for %d closed action(s) not told", len(untold))
        return bool(untold)


__all__ = ["NewsDesk", "Drafted", "Submitted", "Decided", "figures_line", "message_text", "MAX_NEWS", "may_write"]
