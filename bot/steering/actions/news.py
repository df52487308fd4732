""""You said, we did" (004:3541-3555): telling staff what changed keeps a network alive; at the
glass company the subject died after five years of silence.

A coordinator or a steering member drafts a short message, in their own words; the bot warns
when it seems to name someone (bot/foundations/naming.py) and says the text goes to many colleagues. A
second person (another coordinator or steering member, never the author) approves it: the
approval is re-checked in one transaction, so two approvals at once publish it once. It then
goes, in the same transaction, to every listener and to every employee who follows the
network's news (chosen in the menu, at the end of a conversation, or with /news).

A message may carry the network's use figures. They are read from the latest closed quarter the
newest digest showed (requests, contact within the promise, listeners on its counting day), never
counted anew: the same released statements the steering group saw, so a message cannot tell
anything a release did not (see docs/steering.md, "How small numbers are protected").

Each quarter the steering group is reminded when actions were closed and nothing was told.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time


from bot.foundations import calendar, callbacks, clock
from bot.foundations.core import Core
from bot.foundations.i18n import Translator
from bot.foundations.model import Payload, Person, Result
from bot.foundations.naming import Naming
from bot.foundations.storage.news import News
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
        self.naming = Naming(core)

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
        return message_text(t, news.text, figures)

    # The author ---------------------------------------------------------------------------------

    async def draft(self, person: Person, text: str, action_id: int | None = None,
                    origin: int | None = None) -> Drafted:
        if not may_write(person):
            return Drafted(Result.NOT_ALLOWED)
        text = " ".join((text or "").split())
        async with self.core.db.transaction():
            if (done := await self.core.news.by_origin(origin)) is not None:
                return Drafted(Result.OK, done.id, tuple(await self.naming.suspicious(done.text)))
            if not text:
                return Drafted(Result.EMPTY)
            if len(text) > MAX_NEWS:
                return Drafted(Result.TOO_LONG)
            if action_id is not None and await self.core.actions.get(action_id) is None:
                action_id = None
            flagged = tuple(await self.naming.suspicious(text))
            news_id = await self.core.news.add(person.id, text, action_id=action_id, flagged=bool(flagged),
                                               origin=origin)
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

    async def set_figures(self, person: Person, news_id: int, figures: bool) -> Result:
        async with self.core.db.transaction():
            result, news = await self._own_draft(person, news_id)
            if result is not Result.OK:
                return result
            await self.core.news.set_figures(news.id, figures)
        return Result.OK

    async def drop(self, person: Person, news_id: int) -> Result:
        async with self.core.db.transaction():
            result, news = await self._own_draft(person, news_id)
            if result is not Result.OK:
                return result
            await self.core.news.send_back(news.id, None, only_if=("draft",))
        await self.core.db.checkpoint()
        return Result.OK

    async def reviewers(self, author: int) -> list[int]:
        """Who may approve: every coordinator and steering member but the author."""
        found = set(await self.core.people.with_role("coordinator")) | set(await self.core.people.with_role("steering"))
        found.discard(author)
        return sorted(found)

    async def submit(self, person: Person, news_id: int) -> tuple[Result, int]:
        """Ask a second person: every other coordinator and steering member gets the message to approve.
        Result.LAST when there is nobody else who may (it stays a draft)."""
        async with self.core.db.transaction():
            result, news = await self._own_draft(person, news_id)
            if result is not Result.OK:
                return result, 0
            reviewers = await self.reviewers(person.id)
            if not reviewers:
                return Result.LAST, 0
            await self.core.news.submit(news.id)
            news = await self.core.news.get(news.id)
            audience = len(await self.audience())
            for reviewer in reviewers:
                t = await self.core.translator(reviewer)
                await self.core.outbox.enqueue(reviewer, Payload(
                    await self.approval_text(t, news, audience), self.approval_buttons(t, news.id), protect=True))
        return Result.OK, len(reviewers)

    async def approval_text(self, t: Translator, news: News, audience: int) -> str:
        lines = [t("📝 A “you said, we did” message waits for a second person. Once approved it goes to {n} "
                   "listeners and employees who follow the network's news. It reads:", n=audience),
                 await self.render(t, news)]
        if news.flagged:
            lines.append(t("⚠ The bot warned its author that it may contain a name. Nothing may point at a person."))
        return "\n\n".join(lines)

    @staticmethod
    def approval_buttons(t: Translator, news_id: int):
        return (((t("Publish it"), callbacks.NEWS_DECIDE(news_id, "ok")),
                 (t("Send it back"), callbacks.NEWS_DECIDE(news_id, "back"))),)

    # The second person --------------------------------------------------------------------------

    async def audience(self) -> list[int]:
        """Every active listener and every employee who follows the network's news, once each."""
        listeners = [m.person_id for m in await self.core.members.active()]
        return sorted(set(listeners) | set(await self.core.volunteers.subscribers("news")))

    async def decide(self, person: Person, news_id: int, approve: bool) -> Decided:
        """Publish (to everyone at once, in this transaction) or send back; the author is told."""
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
            if not approve:
                await self.core.news.send_back(news.id, person.id)
                await self._tell_author(news, person, False, 0)
                return Decided(Result.OK)
            week, _ = await self.latest_digest()
            listeners = {m.person_id for m in await self.core.members.active()}
            audience = await self.audience()
            if not await self.core.news.publish(news.id, person.id, week if news.figures else None, len(audience)):
                return Decided(Result.ALREADY)
            news = await self.core.news.get(news.id)
            texts: dict[str, str] = {}  # one rendering per language, not per recipient
            for person_id in audience:
                t = await self.core.translator(person_id)
                if t.lang not in texts:
                    texts[t.lang] = await self.render(t, news)
                buttons = () if person_id in listeners else (
                    ((t("Stop these messages"), callbacks.NEWS_FOLLOW("0")),),)
                await self.core.outbox.enqueue(person_id, Payload(texts[t.lang], buttons))
            await self._tell_author(news, person, True, len(audience))
        log.info("news %d published to %d people", news_id, len(audience))
        return Decided(Result.OK, len(audience))

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


__all__ = ["NewsDesk", "Drafted", "Decided", "figures_line", "message_text", "MAX_NEWS", "may_write"]
