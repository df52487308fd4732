"""Every reader in their own language (issue 23): a "you said, we did" is written once, in its
author's language; the author, or the second person, adds a version for each language its readers
use, and a reader without one gets the author's text marked "(in English)" in their own words.
Also the contacts' names in running text, the French for meeting in person, and the review's week."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from flows import ask_for_conversation, join_as_member
from steering_flows import coordinator, steering

from bot.foundations import prompts
from bot.foundations.i18n import Translator
from bot.foundations.storage.people import PeopleRepository
from bot.steering.actions.news import NewsDesk

T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
BODY = "You said the peak weeks were too heavy. The team leads now plan them together."
DUTCH = "Jullie zeiden dat de piekweken te zwaar waren. De ploegleiders plannen ze nu samen."
FRENCH = "Vous avez dit que les semaines de pointe étaient trop lourdes. Les chefs d'équipe les planifient ensemble."


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


async def _readers(services, people):
    anna = people(201, "Anna", "nl")
    await join_as_member(services, anna, "Anna", languages=("nl",))
    bea = people(202, "Béatrice", "fr")
    await join_as_member(services, bea, "Béatrice", languages=("fr",))
    emma = people(301, "Emma", "en")
    await emma.send("/news")
    await emma.press("nwe:1")
    return anna, bea, emma


async def _draft(boss, text=BODY):
    await boss.send("/news")
    await boss.press("nwd")
    await boss.send(text)
    return boss.last()


async def test_each_reader_gets_the_version_in_their_language(services, people, clock):
    anna, bea, emma = await _readers(services, people)
    boss = await coordinator(services, people)
    sofie = await steering(services, people, language="fr")
    clock.shift(timedelta(days=8))  # both may take part in a decision that takes two people
    preview = await _draft(boss)
    assert "Its readers: 1 in Dutch, 1 in French, 1 in English." in preview.text
    assert "No version yet in Dutch, French: those readers would get the text in English, marked so." in preview.text
    assert "nwl:1:nl" in preview.button_data() and "nwl:1:fr" in preview.button_data()
    assert "nwl:1:en" not in preview.button_data()  # the language it is written in

    await boss.press("nwl:1:nl", preview)
    assert boss.last().text.startswith("The message in Dutch, in at most 700 characters.") and BODY in boss.last().text
    await boss.send(DUTCH)
    preview = boss.last()
    assert f"The version in Dutch:\n{DUTCH}" in preview.text
    assert "No version yet in French" in preview.text and "Rewrite the version in Dutch" in str(preview.buttons)
    await boss.press("Ask a second person", preview)

    # The second person (French) sees every version, and may add the missing one before publishing.
    approval = sofie.last()
    assert DUTCH in approval.text and BODY in approval.text
    assert approval.text.count(BODY) == 1 and "(en anglais)" in approval.text  # marked, shown once
    await sofie.press("nwl:1:fr", approval)
    await sofie.send(FRENCH)
    approval = sofie.last()
    assert approval.text.startswith("📝") and FRENCH in approval.text and "(en anglais)" not in approval.text
    assert f"Le texte tel qu'il a été écrit, en anglais :\n{BODY}" in approval.text  # what her version translates
    await sofie.press("nwa:1:ok", approval)

    for reader, body, frame in ((anna, DUTCH, "📣 Jullie zeiden, wij deden"), (bea, FRENCH, "📣 Vous avez dit, nous avons fait"),
                                (emma, BODY, "📣 You said, we did")):
        message = reader.last()
        assert message.text.startswith(frame) and body in message.text, (reader.user, message.text)
        assert all(other not in message.text for other in (BODY, DUTCH, FRENCH) if other != body)


async def test_a_reader_without_a_version_gets_the_text_marked_in_their_words(services, people, clock):
    anna, bea, emma = await _readers(services, people)
    boss = await coordinator(services, people)
    await steering(services, people)
    clock.shift(timedelta(days=8))  # both may take part in a decision that takes two people
    preview = await _draft(boss)
    await boss.press("Ask a second person", preview)
    await people(800).press("nwa:1:ok")
    assert anna.last().text.startswith("📣 Jullie zeiden, wij deden") and f"(in het Engels)\n{BODY}" in anna.last().text
    assert f"(en anglais)\n{BODY}" in bea.last().text
    assert "(in English)" not in emma.last().text and BODY in emma.last().text


async def test_the_author_says_which_language_they_wrote_in(services, people, clock):
    await _readers(services, people)
    boss = await coordinator(services, people)
    preview = await _draft(boss, DUTCH)  # an English coordinator writing Dutch
    await boss.press("nwo:1:nl", preview)
    assert "Written in Dutch" in preview.text and "nwl:1:en" in preview.button_data()
    assert "nwl:1:nl" not in preview.button_data()


# The contacts' names, meeting in person, the review's week ----------------------------------------

async def test_a_contact_reads_naturally_in_french(services, people, clock):
    bea, gus = people(202, "Béatrice", "fr"), people(302, "Gus", "fr")
    await join_as_member(services, bea, "Béatrice", languages=("fr",))
    ref = await ask_for_conversation(gus, first_message="Bonjour")
    await bea.press(f"claim:{ref}")
    await bea.send("Bonjour, je vous écoute.")
    await bea.send("/cases")
    await bea.press(f"rfr:{ref}")
    await bea.press(f"rfr:{ref}:psychologist")
    assert "Envoyer le contact « Psychologue » à Collègue" in bea.last().text
    await bea.press(f"rfr:{ref}:psychologist:1")
    await gus.press(next(d for d in gus.last().button_data() if d.endswith(":y")))
    assert "peut dire au contact « Psychologue » ce qu'il doit savoir" in gus.last().text
    assert "accepte que vous disiez au contact « Psychologue »" in bea.last().text

    await bea.send("/cases")
    await bea.press(f"mt:{ref}")
    await bea.press(f"mt:{ref}:p")
    labels = [b["text"] for row in gus.last().buttons for b in row]
    assert "Oui, rencontrons-nous" in labels


def test_a_review_named_by_its_week_reads_as_the_digest_says_it():
    from bot.steering.digest.render import round_name
    assert round_name(Translator("en"), "2026-W50") == "week 50 of 2026"
    assert round_name(Translator("nl"), "2026-W50") == "week 50 van 2026"
    assert round_name(Translator("en"), "2026-12") == "December 2026"


async def test_a_version_typed_is_previewed_from_one_rendering(services, people, clock, monkeypatch):
    await _readers(services, people)
    boss = await coordinator(services, people)
    preview = await _draft(boss)
    await boss.press("nwl:1:nl", preview)
    rendered = []
    real = NewsDesk.render

    async def counted(self, t, news):
        rendered.append(news.id)
        return await real(self, t, news)
    monkeypatch.setattr(NewsDesk, "render", counted)
    await boss.send(DUTCH)
    assert f"The version in Dutch:\n{DUTCH}" in boss.last().text
    assert rendered == [1]


async def test_a_version_for_a_language_no_longer_offered_is_closed_with_a_word(services, people, clock):
    boss = await coordinator(services, people)
    await _draft(boss)
    me = await services.core.people.find(boss.id)
    await services.prompts.wait_for(me, prompts.NEWS_VERSION, ref="1", data="de")  # left by another version
    await boss.send("Ihr habt gesagt ...")
    assert boss.last().text == ("That language is no longer offered, so your text was not kept. Open the message "
                                "again from /news.")
    assert await services.prompts.current(me) is None
    assert await services.core.db.fetchval("SELECT COUNT(*) FROM news_versions") == 0


async def test_publishing_renders_once_per_language_and_counts_readers_in_one_read(services, people, clock,
                                                                                     monkeypatch):
    await _readers(services, people)  # readers in Dutch, French and English
    boss = await coordinator(services, people)
    sofie = await steering(services, people, language="fr")
    piet = await steering(services, people, user_id=801, name="Piet", language="nl")  # hears who wrote, who approved
    clock.shift(timedelta(days=8))
    preview = await _draft(boss)
    await boss.press("Ask a second person", preview)
    one_by_one = []
    real_language = PeopleRepository.language

    async def language(self, person_id):
        one_by_one.append(person_id)
        return await real_language(self, person_id)
    monkeypatch.setattr(PeopleRepository, "language", language)
    assert await services.news.readers() == {"nl": 1, "fr": 1, "en": 1}
    assert one_by_one == []  # the audience's languages in one read, not one per reader

    rendered = []
    real_render = NewsDesk.render

    async def render(self, t, news):
        rendered.append(t.lang)
        return await real_render(self, t, news)
    monkeypatch.setattr(NewsDesk, "render", render)
    await sofie.press("nwa:1:ok")
    assert sorted(rendered) == ["en", "fr", "nl"]  # the announcement to staff reuses the readers' renderings
    assert piet.last().text.startswith("📣") and "Jullie zeiden, wij deden" in piet.last().text
