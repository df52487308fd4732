"""The weekly digest, kept by a sweep over the database (like the contact promise).

Every minute (and right after start-up) the sweep works out the newest digest slot (see
schedule.py). When that week has no digest yet, it counts the closed periods that are due and
decides their releases (bot/steering/releases: the audits run in a child process), renders the text
and the chart in every steering member's language, and then, in one transaction, records the
digest, the counted periods and their releases, and queues its messages (and, when one is due, the
network's review round with its flags and messages). A restart never sends a week twice nor
releases a period twice; a slot missed while the bot was down is made once, late, and says so; an
older missed week is not made up for (its periods are released by the next digest).

The first slot the bot ever sees is the first after it first ran: installing it on a Wednesday
does not produce a "late" digest for that Monday.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time

from bot.foundations import callbacks, clock
from bot.foundations.calendar import parse_period, quarter_of
from bot.foundations.core import Core
from bot.foundations.i18n import Translator
from bot.foundations.model import Button, Payload, Person, Result, split_message
from bot.steering.actions.followup import render_section
from bot.steering.actions.tracker import ActionTracker
from bot.steering.figures import step
from bot.steering.releases.decide import decide, with_words, without_words
from bot.steering.releases.service import Flag, PeriodReleases, Prepared

from . import chart
from .model import VERSION, Published, published_with
from .render import Words, caption, render_about, render_digest, steering_home
from .review import NetworkReview
from .schedule import Slot, latest_slot, next_slot, slot_of_week
from .signals import candidates, looked_at

log = logging.getLogger(__name__)
# A digest made late (and the network's review that goes with it) reaches phones between these
# hours of the organisation's day only; at night it waits for the morning.
MORNING, EVENING = time(7, 0), time(21, 0)
EPOCH_KEY = "digest_epoch"
TREND_MONTHS = 12


@dataclass(frozen=True)
class Rendered:
    parts: list[str]          # the text, in messages below Telegram's limit
    chart: bytes | None


@dataclass
class Built:
    """A digest before it is stored: its releases (decided, not stored) and what it publishes."""

    prepared: Prepared
    bodies: list[dict]
    published: dict
    pub: Published
    review: str | None = None                       # the round that opens with it
    candidates: list[tuple[str, str, str, str]] = field(default_factory=list)


class SteeringDigests:
    def __init__(self, core: Core, review: NetworkReview, follow_up: ActionTracker,
                 releases: PeriodReleases) -> None:
        self.core = core
        self.review = review
        self.follow_up = follow_up
        self.releases = releases
        self.settings = core.settings

    # The sweep ---------------------------------------------------------------------------------

    async def sweep(self, now: datetime | None = None) -> str | None:
        """Make the digest that is due, if any; returns its week."""
        now = now or clock.now()
        s = self.settings
        epoch = await self._epoch(now)
        slot = latest_slot(now, s.digest_weekday, s.digest_time, s.timezone)
        if slot.at < epoch or await self.core.digests.exists(slot.week):
            return None
        if slot.late(now) and not MORNING <= now.astimezone(s.timezone).time() < EVENING:
            return None  # late (the bot was down at its slot): it waits for the morning, not the night
        return slot.week if await self.make(slot, now) else None

    async def _epoch(self, now: datetime) -> datetime:
        stored = await self.core.meta.get(EPOCH_KEY)
        if stored is None:
            await self.core.meta.add(EPOCH_KEY, clock.iso(now).encode())
            return now
        return clock.parse(stored.decode())

    async def make(self, slot: Slot, now: datetime) -> bool:
        """Build, record and send this week's digest; False when it had been made already."""
        late = slot.late(now)
        built = await self.build(slot, now, late=late)
        pub = built.pub
        recipients = await self.core.people.with_role("steering")
        languages = {person_id: await self.core.people.language(person_id) for person_id in recipients}
        langs = sorted(set(languages.values()))
        charts = await self.charts(pub, langs)
        rendered = {lang: Rendered(split_message(self.text(pub, lang)), charts[lang]) for lang in langs}
        async with self.core.db.transaction():
            if not await self.core.digests.add(
                    slot.week, slot_at=slot.at, made_at=now, late=late, ledger={}, separate=[],
                    published=built.published, recipients=len(recipients)):
                return False
            released = await self.releases.store(built.prepared, built.bodies, now)
            await self.follow_up.record_signals(slot.week, built.published)
            for person_id in recipients:
                await self._queue(person_id, Translator(languages[person_id]), pub, rendered[languages[person_id]])
            opened = None
            if built.review:
                opened = await self.review.open_round(built.review, built, slot)
        log.info("digest %s: made%s for %d steering member(s), %d release(s)%s", slot.week, " late" if late else "",
                 len(recipients), len(released), "; review round opened" if opened else "")
        return True

    async def _queue(self, person_id: int, t: Translator, pub: Published, rendered: Rendered) -> None:
        for number, part in enumerate(rendered.parts):
            last = number == len(rendered.parts) - 1
            await self.core.outbox.enqueue(person_id, Payload(part, self.buttons(t, pub) if last else (),
                                                              protect=True))
        if rendered.chart is not None:
            await self.core.outbox.enqueue(person_id, Payload(
                caption(pub, Words(t, self.core.charter, self.settings.departments)), protect=True,
                photo=rendered.chart))

    @staticmethod
    def buttons(t: Translator, pub: Published) -> tuple[tuple[Button, ...], ...]:
        rows = [((t("How to read this"), callbacks.DIGEST_ABOUT(pub.week)),)]
        if pub.signals:
            rows.append(((t("Answer the signals"), callbacks.SIGNALS_OF(pub.week)),))
        return tuple(rows)

    # Building ----------------------------------------------------------------------------------

    async def build(self, slot: Slot, now: datetime, *, late: bool = False) -> Built:
        """Count what is due, decide its releases (in a child process) and compose the digest;
        nothing is stored."""
        s = self.settings
        round_label = await self.review.due(slot)
        found: list[tuple[str, str, str, str]] = []
        flags = None
        looked = looked_at(slot.day)
        if round_label is not None:
            found = await candidates(self.core.figures, self.core.calendar, self.core.charter, looked,
                                     signal_min=s.signal_min, now=now, departments=s.departments)
            flags = (looked.quarter, [Flag(dep, theme) for dep, theme, _, _ in found])
        prepared = await self.releases.prepare(slot.day, slot.week, now, flags=flags, round_label=round_label)
        bodies = []
        if prepared.jobs:
            jobs, words = without_words(prepared.jobs)
            bodies = with_words(await self.core.offload.run(decide, jobs, prepared.knowledge), words)
        published = await self._published(slot, now, late, bodies)
        if round_label is not None:
            published["review"] = {"label": round_label, "quarter": looked.quarter.label,
                                   "first_day": looked.first_day.isoformat(), "last_day": looked.last_day.isoformat()}
        fresh = {b["label"]: (b, clock.iso(now)) for b in bodies}
        pub = await self.load(published, fresh)
        return Built(prepared, bodies, published, pub, round_label, found)

    async def _published(self, slot: Slot, now: datetime, late: bool, bodies: list[dict]) -> dict:
        s = self.settings
        released = await self.core.releases.labels("period")
        new = [b["label"] for b in bodies if b["kind"] == "period"]
        periods = [p for p in (parse_period(label) for label in [*released, *new]) if p is not None]
        months = sorted((p for p in periods if p.kind == "month"), key=lambda p: p.start)
        quarters = sorted((p for p in periods if p.kind == "quarter"), key=lambda p: p.start)
        quarter = quarters[-1] if quarters else None
        before = quarter.previous() if quarter is not None else None
        ended = quarter_of(slot.day).previous()
        start, epoch = await self.releases.start()
        waiting = None
        if (quarter is None or ended.label != quarter.label) and start is not None and ended.end > start \
                and (epoch is None or ended.start >= epoch):
            waiting = {"label": ended.label, "due": self.releases.release_day(ended).isoformat()}
        open_label = next((b["label"] for b in bodies if b["kind"] == "open"), None)
        opened = await self.core.figures.open_conversations(clock.iso(now))
        signals = await self.review.reported_before(slot.week)
        return {
            "v": VERSION, "week": slot.week, "k": s.small_cell, "late": late, "due": clock.iso(slot.at),
            "day": slot.day.isoformat(), "signal_min": s.signal_min, "new": new,
            "month": months[-1].label if months else None, "quarter": quarter.label if quarter else None,
            "before": before.label if before is not None and before in quarters else None,
            "trend": [m.label for m in months[-TREND_MONTHS:]], "open": open_label, "waiting": waiting,
            "open_conversations": list(step(opened, s.small_cell).to_json()[1:]),
            "signals": signals, "deps": {sig["dep"]: sig.get("dep_name") for sig in signals},
            "health": await self.releases.network(now), "actions": await self.follow_up.section(slot),
        }

    async def load(self, published: Mapping, fresh: Mapping[str, tuple[dict, str]] | None = None) -> Published:
        """A digest with the releases it names: those just decided (`fresh`), else the stored ones."""
        fresh = fresh or {}
        bodies = {}
        labels = list(Published(published).labels()) if published.get("v") == VERSION else []
        for signal in published.get("signals", []) if published.get("v") == VERSION else []:
            if signal.get("quarter"):
                labels.append(signal["quarter"])
        for label in dict.fromkeys(labels):
            if label in fresh:
                bodies[label] = fresh[label]
            elif (stored := await self.core.releases.get(label)) is not None:
                bodies[label] = (stored.body, clock.iso(stored.made_at))
        return published_with(published, bodies)

    # Rendering ---------------------------------------------------------------------------------

    def words(self, t: Translator) -> Words:
        return Words(t, self.core.charter, self.settings.departments)

    def text(self, pub: Published, lang: str, *, newer: str | None = None) -> str:
        words = self.words(Translator(lang))
        return render_digest(pub, words, self.settings.timezone, newer=newer, contact_hours=self.settings.contact_hours,
                             extra=(render_section(pub, words),) if pub.current else ())

    def about(self, pub: Published, lang: str, *, newer: str | None = None) -> str:
        return render_about(pub, self.words(Translator(lang)), contact_hours=self.settings.contact_hours, newer=newer)

    async def charts(self, pub: Published, langs: Iterable[str]) -> dict[str, bytes | None]:
        """The chart in each language, None for none (nothing to draw, or it could not be drawn:
        the text goes anyway)."""
        langs = list(langs)
        if not langs or not pub.current or not pub.data.get("trend"):
            return dict.fromkeys(langs)
        try:
            return await self.core.offload.run(chart.charts, dict(pub.data), dict(pub.bodies), langs,
                                               self.core.charter, tuple(self.settings.departments))
        except Exception as exc:  # noqa: BLE001 - a chart is never worth losing the digest
            log.warning("digest %s: the chart could not be drawn (%s); the text goes without it", pub.week,
                        exc.__class__.__name__)
            return dict.fromkeys(langs)

    async def render(self, pub: Published, lang: str, *, newer: str | None = None) -> Rendered:
        drawn = await self.charts(pub, [lang])
        return Rendered(split_message(self.text(pub, lang, newer=newer)), drawn[lang])

    # The steering member's side ------------------------------------------------------------------

    async def latest(self, person: Person, week: str | None = None
                     ) -> tuple[Result, Published | None, str | None]:
        """The latest digest (or the one of `week`), and the newest week when that is a newer one."""
        if not person.is_steering:
            return Result.NOT_ALLOWED, None, None
        stored = await (self.core.digests.latest() if week is None else self.core.digests.get(week))
        if stored is None:
            return Result.NOT_FOUND, None, None
        newest = await self.core.digests.newest_week()
        return Result.OK, await self.load(stored.published), newest if newest != stored.week else None

    def home(self, t: Translator) -> str:
        s = self.settings
        upcoming = next_slot(clock.now(), s.digest_weekday, s.digest_time, s.timezone)
        return steering_home(t, s.digest_weekday, s.digest_time, s.timezone, upcoming.at)

    def next_at(self) -> datetime:
        s = self.settings
        return next_slot(clock.now(), s.digest_weekday, s.digest_time, s.timezone).at

    # A preview, sending nothing and recording nothing --------------------------------------------

    async def preview(self, week: str | None = None, lang: str | None = None,
                      now: datetime | None = None) -> tuple[Published, str, bytes | None]:
        """The digest of `week` (default: the newest due) as it is or would be sent: a recorded
        one as it was, else built now and not stored (its releases are decided, never stored)."""
        s = self.settings
        now = now or clock.now()
        slot = (slot_of_week(week, s.digest_weekday, s.digest_time, s.timezone) if week
                else latest_slot(now, s.digest_weekday, s.digest_time, s.timezone))
        stored = await self.core.digests.get(slot.week)
        pub = await self.load(stored.published) if stored else (await self.build(slot, max(now, slot.at))).pub
        lang = lang or s.default_language
        text = self.text(pub, lang) + "\n\n\n" + self.about(pub, lang)
        return pub, text, (await self.charts(pub, [lang]))[lang]


__all__ = ["SteeringDigests", "EPOCH_KEY", "Built"]
