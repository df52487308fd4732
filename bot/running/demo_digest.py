"""A year of realistic data in a throw-away database, to show what the digest will look like.

`waakzaam digest --preview --demo` runs this: a new database and key in a temporary folder
(never the configured ones), a network of seven listeners with a coordinator and a steering
member, about six requests a week for a year in a 250-person company (themes, levels,
outcomes, referrals, contact times, a few urgent ones and missed promises, team signals and
ratings; older cases stripped as retention leaves them), and then a digest every week, made in
order by the real service at its own slot, as production makes them: each releases the months
and quarters due, and each monthly review round is answered by the listeners (they report the
first candidates, and a coordinator approves a suggestion). Everything goes through the real
repositories and services; the temporary folder is deleted afterwards.
"""
from __future__ import annotations

import random
import tempfile
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

from bot.conversation.team_signals import TeamSignals, dedupe_keys
from bot.foundations import clock
from bot.foundations.calendar import quarter_of
from bot.foundations.charter import Charter
from bot.foundations.core import Core
from bot.foundations.settings import Settings
from bot.network import routing
from bot.services import Services
from bot.steering.digest.model import Published
from bot.steering.digest.schedule import Slot, latest_slot, slot_of_week, week_label

from .startup import open_core

HISTORY_WEEKS = 62     # a year of released months and quarters before the digest shown
RETENTION_DAYS = 90
PER_WEEK = 6           # requests in an ordinary week
LISTENERS = (  # name, gender, age band, status, department (index into the departments), languages
    ("Griet", "woman", "35to50", "employee", 0, ("nl", "en")),
    ("Jozef", "man", "over50", "worker", 0, ("nl",)),
    ("Samira", "woman", "under35", "worker", 0, ("nl", "fr")),
    ("Luc", "man", "35to50", "employee", 2, ("nl", "fr")),
    ("Ilse", "woman", "over50", "employee", 2, ("nl", "en")),
    ("Nadia", "woman", "under35", "employee", 3, ("fr", "nl")),
    ("Pieter", "man", "35to50", "worker", 3, ("nl",)),
)
# Where requests come from (weights per configured department, then "not given"), and what
# each department tends to bring: a few patterns the review should find.
DEPARTMENT_WEIGHTS = (0.42, 0.13, 0.19, 0.16, 0.07)
THEMES_BY_PLACE = {
    0: {"workload": 6, "stress_complaints": 4, "conflict_colleague_mgr": 3, "work_organisation": 3,
        "burnout": 1, "return_to_work": 1},
    1: {"working_conditions": 3, "workload": 2, "aggression_aftercare": 1, "stress": 2},
    2: {"conflict_colleague_mgr": 5, "bullying": 2, "interpersonal_relations": 3, "workload": 2},
    3: {"hybrid_isolation": 3, "digitalisation": 3, "reorganisation": 4, "job_uncertainty": 2},
    4: {"stress": 3, "workload": 3, "job_content": 2},
}
PRIVATE = {"private_problems": 4, "grief_shock": 1}
OUTCOMES = {"listened": 55, "referred": 20, "signposted": 12, "no_reply": 8, "withdrawn": 5}
REFERRALS = {"company_doctor": 4, "psychologist": 3, "prevention_advisor": 2, "confidential_counsellor": 2,
             "debt_help": 1}
SUGGESTIONS = {
    "nl": "Plan de piekweken samen met de ploegleiders en spreek af wie dan wat laat liggen.",
    "fr": "Planifier les semaines de pointe avec les chefs d'équipe et convenir de ce qui peut attendre.",
    "en": "Plan the peak weeks together with the team leads and agree on what can wait then.",
}


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    keys = list(weights)
    return rng.choices(keys, [weights[k] for k in keys])[0]


async def _person(core: Core, user_id: int, language: str = "nl") -> int:
    return (await core.people.ensure(user_id, user_id, language)).id


async def populate(core: Core, end: datetime, *, seed: int = 2026, weeks: int = HISTORY_WEEKS,
                   with_steering: bool = True) -> dict:
    """Fill an empty database with a network and `weeks` weeks of cases, team signals and ratings
    up to `end`. `with_steering`: the steering member has the role already (else the caller gives
    it, say after making the past digests, which then need no text or chart)."""
    rng = random.Random(seed)
    departments = core.settings.departments
    listeners = []
    async with core.db.transaction():
        for number, (name, gender, age, status, dep, languages) in enumerate(LISTENERS):
            person_id = await _person(core, 9_100_000_001 + number, languages[0])
            member = await core.members.enrol(person_id)
            await core.members.accept_charter(member.id)
            await core.members.set_display_name(member.id, name)
            for field, value in (("gender", gender), ("age_band", age), ("status", status),
                                 ("department", departments[dep % len(departments)])):
                await core.members.set_field(member.id, field, value)
            await core.members.set_languages(member.id, languages)
            await core.members.mark_profile_complete(member.id)
            listeners.append(member.id)
        await core.members.pause(listeners[-1], routing.PAUSED_INDEFINITELY)
        coordinator = await _person(core, 9_100_000_100, "nl")
        await core.people.add_role(coordinator, "coordinator")
        steering = await _person(core, 9_100_000_200, "nl")
        if with_steering:
            await core.people.add_role(steering, "steering")
        employees = [await _person(core, 9_200_000_000 + i) for i in range(220)]

    start = end - timedelta(weeks=weeks)
    place_weights = list(DEPARTMENT_WEIGHTS[: len(departments)]) + [0.03]
    while len(place_weights) < len(departments) + 1:
        place_weights.insert(-1, 0.08)
    # The newer ways to ask draw from their own generator, so the year above stays as it was.
    more = random.Random(seed + 1)
    async with core.db.transaction():
        for week in range(weeks):
            monday = start + timedelta(weeks=week)
            season = 1.35 if monday.month in (9, 10, 11) else 0.8 if monday.month in (7, 8) else 1.0
            for _ in range(max(0, round(rng.gauss(PER_WEEK * season, 2)))):
                request_id = await _case(core, rng, monday, end, departments, place_weights, employees, listeners,
                                         season)
                if request_id is not None:
                    await core.figures.mark_kind(request_id, concern=more.random() < 0.12,
                                                 collective=more.random() < 0.1)
        await _team_signals(core, more, start, end, departments, employees)
        await _ratings(core, random.Random(seed + 2), clock.iso(start), clock.iso(end))
    return {"coordinator": coordinator, "steering": steering, "listeners": listeners}


async def _team_signals(core: Core, rng: random.Random, start: datetime, end: datetime, departments,
                        employees: list[int]) -> None:
    """Employees' signals without a conversation, each quarter (one per account and quarter):
    workload in the first department, and a scatter elsewhere."""
    themes = [t.key for t in TeamSignals(core).themes()]
    quarter = quarter_of(core.calendar.date_of(start))
    while quarter.start < core.calendar.date_of(end):
        for person_id in rng.sample(employees, 30):
            place = 0 if rng.random() < 0.4 else rng.randrange(len(departments))
            chosen = ["workload"] if place == 0 else rng.sample(themes, rng.choice((1, 2)))
            day = quarter.start + timedelta(days=rng.randrange((quarter.end - quarter.start).days))
            if not core.calendar.date_of(start) <= day < core.calendar.date_of(end):
                continue
            level = rng.choices(("individual", "team", "organisation"), (20, 60, 20))[0]
            await core.team_signals.put(dedupe_keys(core.vault, person_id, quarter.label), departments[place], chosen,
                                        level, day.isoformat())
        quarter = quarter.next()


async def _ratings(core: Core, rng: random.Random, start: str, end: str) -> None:
    """About half the closed cases rated, a few days after closing."""
    for request_id, closed in await core.cases.closed_cases(start, end):
        if rng.random() < 0.5:
            rating = rng.choices((1, 2, 3, 4, 5), (2, 3, 10, 40, 45))[0]
            day = date.fromisoformat(closed) + timedelta(days=rng.randrange(1, 4))
            await core.cases.add_rating(request_id, rating, day.isoformat())


async def _case(core: Core, rng: random.Random, monday: datetime, end: datetime, departments, place_weights,
                employees: list[int], listeners: list[int], season: float) -> int | None:
    created = monday + timedelta(days=rng.randrange(5), hours=rng.uniform(7, 17))
    if created >= end:
        return None
    place = rng.choices(range(len(departments) + 1), place_weights)[0]
    department = departments[place] if place < len(departments) else None
    patterns = THEMES_BY_PLACE.get(place % 5 if department else 0, THEMES_BY_PLACE[0])
    if place == 0 and season > 1:
        patterns = {**patterns, "workload": 12, "stress_complaints": 6}
    themes = [_pick(rng, patterns) for _ in range(rng.choice((1, 1, 2, 2, 3)))]
    if rng.random() < 0.12:
        themes.append(_pick(rng, PRIVATE))
    urgent = rng.random() < 0.03
    deadline = created + timedelta(hours=1 if urgent else 24)
    wait = timedelta(minutes=min(60 * 40, rng.lognormvariate(5.2, 0.9)) / (6 if urgent else 1))
    contacted = created + wait
    breached = deadline if contacted > deadline else None
    still_open = (end - created) < timedelta(days=rng.uniform(3, 20))
    if contacted > end:
        contacted = None
    closed = None if still_open else (contacted or created) + timedelta(days=rng.uniform(1, 25))
    if closed is not None and closed > end:
        closed, still_open = None, True
    outcome = None if still_open else _pick(rng, OUTCOMES)
    if outcome == "withdrawn" and contacted is None:
        outcome = None
    referrals = []
    if outcome == "referred":
        referrals = [(_pick(rng, REFERRALS), rng.random() < 0.7) for _ in range(rng.choice((1, 1, 2)))]
    erased = closed is not None and end - closed > timedelta(days=RETENTION_DAYS)
    requester = None if erased else rng.choice(employees[:60] if rng.random() < 0.3 else employees)
    level = None if rng.random() < 0.05 else rng.choices(("individual", "team", "organisation"), (60, 28, 12))[0]
    state = "contacted" if still_open and contacted else "offered" if still_open else "closed"
    if still_open and requester is not None and await core.requests.open_for_requester(requester):
        requester = None  # one open request per colleague
    return await core.figures.add_past_case(
        created_at=clock.iso(created), deadline_at=clock.iso(deadline), department=department,
        requester_id=requester, member_id=rng.choice(listeners[:-1]) if contacted else None, state=state,
        urgent=urgent, claimed_at=clock.iso(contacted) if contacted else None,
        contacted_at=clock.iso(contacted) if contacted else None, closed_at=clock.iso(closed) if closed else None,
        breached_at=clock.iso(breached) if breached else None, outcome=outcome, level=level, themes=themes,
        referrals=referrals, erased_at=clock.iso(closed + timedelta(days=RETENTION_DAYS)) if erased else None)


async def review_as_the_network(services, people: dict, language: str) -> None:
    """The listeners report the two first candidates of the open round; one writes a
    suggestion and the coordinator approves it."""
    core = services.core
    review = await core.reviews.latest_round()
    if review is None:
        return
    candidates = await core.reviews.candidates(review.id)
    listeners = [await core.members.get(m) for m in people["listeners"][:-1]]
    for candidate in candidates[:2]:
        for number, member in enumerate(listeners[:4]):
            await services.review.vote(await core.people.get(member.person_id), candidate.id, number != 3)
    if candidates:
        author = await core.people.get(listeners[0].person_id)
        suggested = await services.review.suggest(author, candidates[0].id, SUGGESTIONS.get(language, SUGGESTIONS["en"]))
        if suggested.suggestion_id is not None:
            if suggested.flagged:
                await services.review.send_flagged(author, suggested.suggestion_id, True)
            await services.review.decide(await core.people.get(people["coordinator"]), suggested.suggestion_id, True)


async def weekly_digests(services: Services, people: dict, first: Slot, last: Slot, language: str,
                         after=None) -> None:
    """A digest every week from the slot `first` to `last`, made by the real service at its own
    slot (a minute after it), each review round answered by the network. `after(slot)` runs after
    each digest (the steering group's work)."""
    s = services.settings
    slot = first
    while slot.day <= last.day:
        await services.digests.make(slot, slot.at + timedelta(minutes=1))
        opened = await services.core.reviews.latest_round()
        if opened is not None and opened.digest_week == slot.week:
            await review_as_the_network(services, people, language)
        if after is not None:
            await after(slot)
        slot = slot_of_week(week_label(slot.day + timedelta(weeks=1)), s.digest_weekday, s.digest_time, s.timezone)


async def demo(settings: Settings, charter: Charter | None = None, *, week: str | None = None,
               lang: str | None = None) -> tuple[Published, str, bytes | None]:
    """The digest of `week` (default: the newest due) on a generated year, rendered in `lang`."""
    lang = lang or settings.default_language
    with tempfile.TemporaryDirectory(prefix="waakzaam-demo-") as folder:
        base = Path(folder)
        demo_settings = replace(settings, db_path=base / "data" / "demo.db", key_file=base / "key" / "demo.key")
        core = await open_core(demo_settings, charter)
        try:
            services = Services(core)
            s = demo_settings
            last = (slot_of_week(week, s.digest_weekday, s.digest_time, s.timezone) if week
                    else latest_slot(clock.now(), s.digest_weekday, s.digest_time, s.timezone))
            people = await populate(core, last.at, with_steering=False)
            first = slot_of_week(week_label(last.day - timedelta(weeks=HISTORY_WEEKS - 1)), s.digest_weekday,
                                 s.digest_time, s.timezone)
            before = slot_of_week(week_label(last.day - timedelta(weeks=1)), s.digest_weekday, s.digest_time,
                                  s.timezone)
            await weekly_digests(services, people, first, before, lang)
            await core.people.add_role(people["steering"], "steering")
            await core.people.set_language(people["steering"], lang)
            await services.digests.make(last, last.at + timedelta(minutes=1))
            return await services.digests.preview(last.week, lang)
        finally:
            await core.close()


__all__ = ["demo", "populate", "review_as_the_network", "weekly_digests"]
