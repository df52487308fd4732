"""The weekly digest, kept by a sweep over the database (like the contact promise).

Every minute (and right after start-up) the sweep works out the newest digest slot (see
schedule.py). When that week has no digest yet, it counts, builds the release, renders the
text and the chart in every steering member's language, and then, in one transaction,
records the digest and queues its messages (and, when one is due, the network's review
round and its messages). A restart never sends a week twice; a slot missed while the bot was
down is made once, late, and says so; an older missed week is not made up for.

The first slot the bot ever sees is the first after it first ran: installing it on a
Wednesday does not produce a "late" digest for that Monday.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time

from bot.foundations import callbacks, clock
from bot.foundations.core import Core
from bot.foundations.i18n import Translator
from bot.foundations.model import Button, Payload, Person, Result, split_message
from bot.foundations.vocab import AGE_BAND, GENDER, STATUS
from bot.network import routing
from bot.steering.actions.followup import render_section
from bot.steering.actions.tracker import ActionTracker

from . import chart
from .digest import Built, Previous, build, group_departments, release_of
from .model import Published
from .render import Words, caption, render_about, render_digest, steering_home
from .review import NetworkReview
from .schedule import LATE_AFTER, Slot, latest_slot, next_slot, slot_of_week, windows
from .signals import collect, department_requests, dims_for, team_departments

log = logging.getLogger(__name__)
# A digest made late (and the network's review that goes with it) reaches phones between these
# hours of the organisation's day only; at night it waits for the morning.
MORNING, EVENING = time(7, 0), time(21, 0)
EPOCH_KEY = "digest_epoch"


@dataclass(frozen=True)
class Rendered:
    parts: list[str]          # the text, in messages below Telegram's limit
    chart: bytes | None


class SteeringDigests:
    def __init__(self, core: Core, review: NetworkReview, follow_up: ActionTracker) -> None:
        self.core = core
        self.review = review
        self.follow_up = follow_up
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
        if now - slot.at > LATE_AFTER and not MORNING <= now.astimezone(s.timezone).time() < EVENING:
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
        late = now - slot.at > LATE_AFTER
        built = await self.build(slot, late=late)
        pub = Published(built.published)
        recipients = await self.core.people.with_role("steering")
        languages = {person_id: await self.core.people.language(person_id) for person_id in recipients}
        langs = sorted(set(languages.values()))
        charts = await self.charts(pub, langs)
        rendered = {lang: Rendered(split_message(self.text(pub, lang)), charts[lang]) for lang in langs}
        async with self.core.db.transaction():
            if not await self.core.digests.add(
                    slot.week, slot_at=slot.at, made_at=now, late=late, ledger=built.release.ledger,
                    separate=sorted(built.published["separate"]), published=built.published,
                    recipients=len(recipients)):
                return False
            await self.follow_up.record_signals(slot.week, built.published)
            for person_id in recipients:
                await self._queue(person_id, Translator(languages[person_id]), pub, rendered[languages[person_id]])
            opened = None
            if label := await self.review.due(slot):
                opened = await self.review.open_round(label, built, slot)
        log.info("digest %s: made%s for %d steering member(s)%s", slot.week, " late" if late else "",
                 len(recipients), "; review round opened" if opened else "")
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

    async def build(self, slot: Slot, *, late: bool = False) -> Built:
        s = self.settings
        repo = self.core.figures
        wins = windows(slot, s.timezone, s.window_weeks, s.trend_windows)
        stored = await self.core.digests.latest(before=slot.week)
        previous = None
        if stored is not None:
            release, dims = release_of(stored.published)
            previous = Previous(stored.ledger, stored.separate, release, dims)
        departments = group_departments(await department_requests(repo, wins[0]), s.departments,
                                        k=s.small_cell, separate_before=stored.separate if stored else None,
                                        team=await team_departments(repo, wins[0]))
        counts, kinds = await collect(repo, wins, departments, self.core.charter)
        dims = dims_for(wins, departments, self.core.charter, kinds)
        extra = {"weeks": s.window_weeks, "late": late, "due": clock.iso(slot.at),
                 "windows": [[w.name, w.first_day.isoformat(), w.last_day.isoformat()] for w in wins],
                 "separate": sorted(departments.separate), "health": await self.health(),
                 "actions": await self.follow_up.section(slot)}
        reported = await self.review.reported_before(slot.week)
        return await self.core.offload.run(
            build, counts, label=slot.week, k=s.small_cell, dims=dims, departments=departments, previous=previous,
            reported=reported, signal_min=s.signal_min, extra=extra)

    async def health(self, now: datetime | None = None) -> dict:
        """The network itself: listeners, pauses, make-up and gaps (see docs/steering.md: shown in full)."""
        now = now or clock.now()
        members = await self.core.members.active()
        makeup: dict[str, dict[str, int]] = {
            "gender": dict.fromkeys(GENDER, 0), "age_band": dict.fromkeys(AGE_BAND, 0),
            "status": dict.fromkeys(STATUS, 0), "department": dict.fromkeys(self.settings.departments, 0)}
        for member in members:
            for field in ("gender", "age_band", "status", "department"):
                value = getattr(member, field)
                if value is not None:
                    makeup[field][value] = makeup[field].get(value, 0) + 1
        gaps = {"department": [d for d in self.settings.departments if not makeup["department"][d]],
                "gender": [g for g in ("woman", "man") if not makeup["gender"][g]],
                "age_band": [a for a in AGE_BAND if not makeup["age_band"][a]],
                "status": [v for v in STATUS if not makeup["status"][v]]}
        return {"listeners": len(members), "paused": sum(routing.is_paused(m, now) for m in members),
                "makeup": makeup, "gaps": gaps if members else {}}

    # Rendering ---------------------------------------------------------------------------------

    def words(self, t: Translator) -> Words:
        return Words(t, self.core.charter, self.settings.departments)

    def text(self, pub: Published, lang: str, *, newer: str | None = None) -> str:
        words = self.words(Translator(lang))
        return render_digest(pub, words, self.settings.timezone, newer=newer, contact_hours=self.settings.contact_hours,
                             extra=(render_section(pub, words),))

    def about(self, pub: Published, lang: str, *, newer: str | None = None) -> str:
        return render_about(pub, self.words(Translator(lang)), contact_hours=self.settings.contact_hours, newer=newer)

    async def charts(self, pub: Published, langs: list[str]) -> dict[str, bytes | None]:
        """The chart in each language, None for none (nothing to draw, or it could not be drawn:
        the text goes anyway)."""
        try:
            return await self.core.offload.run(chart.charts, pub.data, langs, self.core.charter,
                                               tuple(self.settings.departments))
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
        return Result.OK, Published(stored.published), newest if newest != stored.week else None

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
        one as it was, else built now and not stored."""
        s = self.settings
        slot = (slot_of_week(week, s.digest_weekday, s.digest_time, s.timezone) if week
                else latest_slot(now or clock.now(), s.digest_weekday, s.digest_time, s.timezone))
        stored = await self.core.digests.get(slot.week)
        pub = Published(stored.published if stored else (await self.build(slot)).published)
        lang = lang or s.default_language
        text = self.text(pub, lang) + "\n\n\n" + self.about(pub, lang)
        return pub, text, (await self.charts(pub, [lang]))[lang]


__all__ = ["SteeringDigests", "EPOCH_KEY"]
