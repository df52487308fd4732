"""A report on a generated year, for `waakzaam report --demo`, made the way a real one is.

In a throw-away database and key (never the configured ones, as the digest's demo): the same
network and cases as `waakzaam digest --demo` (bot/running/demo_digest.py), the digests of the report's
windows made in order by the real service (with the listeners' review, so signals are reported),
and a steering group that answers them: actions opened, updated, one left to stall, closed with
their effect, a "not now", ratings, and a "you said, we did". History is written with its own
dates through the repositories, as `add_past_case` does for cases. The folder is deleted after.
"""
from __future__ import annotations

import tempfile
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

from bot.foundations.calendar import Period
from bot.foundations.charter import Charter
from bot.foundations.offload import Offload
from bot.foundations.settings import Settings
from bot.services import Services
from bot.steering.digest.schedule import slot_of_week, week_label

from .demo_digest import populate, weekly_digests
from .startup import open_core

WORDS = {
    "en": {
        "actions": [("Plan the peak weeks with the team leads", "production manager",
                     "Two meetings with the team leads before each peak; HR joins the second.",
                     "The production manager tells the network at its next case discussion."),
                    ("A clear way to raise a conflict with a manager", "HR manager", "", ""),
                    ("Quiet room for phone calls in the office", "facility manager", "", "")],
        "not_now": "The reorganisation of the shifts settles first; we come back to it in the spring.",
        "note": "First meeting held; the second is planned.",
        "news": "You said the peak weeks in production were too heavy. The team leads now plan them together, "
                "and two temporary colleagues help out in the busiest weeks.",
    },
    "nl": {
        "actions": [("De piekweken samen met de ploegleiders plannen", "productieverantwoordelijke",
                     "Twee overlegmomenten met de ploegleiders voor elke piek; HR schuift aan bij het tweede.",
                     "De productieverantwoordelijke vertelt het netwerk erover op de volgende casusbespreking."),
                    ("Een duidelijke weg om een conflict met een leidinggevende aan te kaarten", "HR-manager", "",
                     ""),
                    ("Een stille ruimte om te bellen op kantoor", "facility manager", "", "")],
        "not_now": "De reorganisatie van de ploegen moet eerst landen; in de lente komen we erop terug.",
        "note": "Eerste overleg gehouden; het tweede is gepland.",
        "news": "Jullie zeiden dat de piekweken in de productie te zwaar waren. De ploegleiders plannen ze nu samen, "
                "en twee tijdelijke collega's helpen in de drukste weken.",
    },
    "fr": {
        "actions": [("Planifier les semaines de pointe avec les chefs d'équipe", "responsable de production",
                     "Deux réunions avec les chefs d'équipe avant chaque pointe ; les RH participent à la seconde.",
                     "Le responsable de production en parle au réseau lors de la prochaine discussion de cas."),
                    ("Une voie claire pour signaler un conflit avec un responsable", "responsable RH", "", ""),
                    ("Une salle calme pour téléphoner au bureau", "facility manager", "", "")],
        "not_now": "La réorganisation des équipes doit d'abord se stabiliser ; nous y reviendrons au printemps.",
        "note": "Première réunion tenue ; la seconde est prévue.",
        "news": "Vous avez dit que les semaines de pointe en production étaient trop lourdes. Les chefs d'équipe les "
                "planifient désormais ensemble, et deux collègues temporaires aident pendant les semaines chargées.",
    },
}


def _day(moment: datetime | date, days: int = 0) -> str:
    day = moment.date() if isinstance(moment, datetime) else moment
    return (day + timedelta(days=days)).isoformat()


async def _steering_answers(services: Services, people: dict, lang: str, week: str, slot_at: datetime,
                            number: int, end: datetime) -> None:
    """What the steering group does after the digest of `week` (the `number`th of the demo)."""
    core = services.core
    words = WORDS.get(lang, WORDS["en"])
    stored = await core.digests.get(week)
    found = [await core.actions.signal_of(s["dep"], s["theme"]) for s in stored.published.get("signals", [])]
    found = [s for s in found if s is not None]
    steering = people["steering"]
    if number < len(words["actions"]):
        title, owner, plan, feedback = words["actions"][number]
        urgency, feasibility = (("high", "quick"), ("medium", "means"), ("low", "structural"))[number]
        opened = slot_at + timedelta(days=6)
        action_id = await core.actions.add(
            signal_id=found[0].id if found and number < 2 else None, title=title, owner=owner, plan=plan, feedback=feedback, urgency=urgency,
            feasibility=feasibility, due=(opened + timedelta(days=70 + 40 * number)).date(), by=steering,
            remind_at=None, day=_day(opened))
        if number == 0:  # started, an update, done with its effect, and told to staff
            for days, kwargs in ((14, {"status": "in_progress"}), (30, {"note": words["note"]}),
                                 (60, {"status": "done", "effect": "better"})):
                when = opened + timedelta(days=days)
                if when < end:
                    await core.actions.update(action_id, by=steering, day=_day(when), **kwargs)
            published = opened + timedelta(days=68)
            if published < end:
                news_id = await core.news.add(people["coordinator"], words["news"], action_id=action_id,
                                              flagged=False, day=_day(published, -2))
                await core.news.set_figures(news_id, True)
                await core.news.submit(news_id)
                await core.news.publish(news_id, steering, week, 12, day=_day(published))
        elif number == 1 and opened + timedelta(days=20) < end:
            await core.actions.update(action_id, by=steering, status="in_progress", day=_day(opened, 20))
        # the third is left without an update: the digest flags it as stalled
    unanswered = [s for s in found[1:] if not s.answered]
    if unanswered and number == 0:
        await core.actions.answer_signal(unanswered[0].id, "not_now", steering, words["not_now"],
                                         day=_day(slot_at, 8))


async def run_demo(settings: Settings, period: Period, charter: Charter | None = None, *, lang: str | None = None,
                   render=None, lead_weeks: int = 10, inspect=None, offload: Offload | None = None):
    """Generate the period (and `lead_weeks` before it), make a digest every week until the one that
    releases it, build its report, and hand it to `render(report)` while the throw-away database is
    still open; returns what `render` returns (else the report). `inspect(core, report)` (tests):
    awaited while the database is open too; then (rendered, inspected) is returned. `offload`: where
    the audits and charts run (bot/foundations/offload.py; default: a thread of this process)."""
    lang = lang or settings.default_language
    with tempfile.TemporaryDirectory(prefix="waakzaam-report-demo-") as folder:
        base = Path(folder)
        demo_settings = replace(settings, db_path=base / "data" / "demo.db", key_file=base / "key" / "demo.key")
        core = await open_core(demo_settings, charter)
        if offload is not None:
            core.offload = offload
        try:
            services = Services(core)
            s = demo_settings
            due = services.releases.due_on(period)
            last = slot_of_week(week_label(due), s.digest_weekday, s.digest_time, s.timezone)
            if last.day < due:
                last = slot_of_week(week_label(due + timedelta(weeks=1)), s.digest_weekday, s.digest_time, s.timezone)
            first = slot_of_week(week_label(period.start - timedelta(weeks=lead_weeks)), s.digest_weekday,
                                 s.digest_time, s.timezone)
            weeks = (last.day - first.day).days // 7 + 2
            people = await populate(core, last.at, weeks=weeks, with_steering=False)
            await core.people.set_language(people["steering"], lang)  # the steering role comes after the
            # past digests: they need no text or chart (the digest made last is the one people read)
            done: list[str] = []

            async def answer(slot) -> None:
                stored = await core.digests.get(slot.week)
                if stored.published.get("signals") and len(done) < len(WORDS["en"]["actions"]) \
                        and period.start <= slot.day < period.end:
                    await _steering_answers(services, people, lang, slot.week, slot.at, len(done), last.at)
                    done.append(slot.week)

            await weekly_digests(services, people, first, last, lang, after=answer)
            await core.people.add_role(people["steering"], "steering")
            report = await services.reports.build(period, last.at + timedelta(minutes=5), demo=True)
            rendered = await render(report) if render else report
            return (rendered, await inspect(core, report)) if inspect else rendered
        finally:
            await core.close()


__all__ = ["run_demo", "WORDS"]
