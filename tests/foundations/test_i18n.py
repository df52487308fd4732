"""Every user-facing string is translated, and people get their own language."""
import re

from babel.messages.pofile import read_po
from flows import ask_for_conversation, join_as_member

from bot.foundations import catalogs
from bot.foundations.i18n import Translator, pick_language


def test_every_string_has_nl_fr_and_en_with_the_same_placeholders():
    assert catalogs.extract(), "the extractor found no strings at all"
    assert catalogs.problems() == []


def test_extractor_sees_handler_strings():
    found = catalogs.extract()
    assert "I do not know that command. Use /start to see what you can do." in found
    assert "Colleague {ref}" in found


def test_language_choice():
    assert pick_language("nl-BE", "fr") == "nl"
    assert pick_language("de", "fr") == "fr"
    assert pick_language(None, "en") == "en"
    assert Translator("nl")("Claim") != "Claim"
    assert Translator("fr")("Claim") != Translator("nl")("Claim")


async def test_people_are_spoken_to_in_their_language(services, people):
    anna = people(201, "Anna", "nl")
    emma = people(301, "Emma", "fr")
    await join_as_member(services, anna, "Anna", languages=("nl", "fr"))
    ref = await ask_for_conversation(emma, first_message="Bonjour")
    nl_offer = anna.last()
    assert nl_offer.text.startswith(Translator("nl")("A colleague asks for a conversation (request {ref}).", ref=ref))
    assert [b["text"] for b in nl_offer.buttons[0]] == [Translator("nl")("Claim"), Translator("nl")("Decline")]
    await anna.press(f"claim:{ref}")
    assert Translator("nl")("Colleague {ref}", ref=ref) in anna.last().text
    assert emma.last().text == Translator("fr")(
        "Good news: {name} from the vigilance network has taken your request {ref} "
        "and will write to you here. Anything you write here goes only to {name}.", name="Anna", ref=ref)


async def test_language_command_switches(services, people):
    emma = people(301, "Emma", "en")
    await emma.send("/language")
    await emma.press("lang:nl")
    assert emma.last().text == "Vanaf nu spreek ik Nederlands met je."
    await emma.send("/frobnicate")
    assert emma.last().text == Translator("nl")("I do not know that command. Use /start to see what you can do.")
    assert (await services.core.people.find(301)).language == "nl"


def test_french_never_writes_que_or_de_before_a_name():
    """Walk 1: "que Anna" must read "qu'Anna", "de Anna" "d'Anna"; a name may start with a vowel, so
    French never puts an elidable word right before a placeholder that holds a person's name."""
    names = "name|on_call|proposer|second|stopper|new|inviter|author|approver|before|owner"
    elidable = re.compile(rf"(?:^|[\s(«’'])(que|de|le|la|ne|je|se|si|jusque|lorsque|puisque|me|te) \{{({names})\}}",
                          re.IGNORECASE)
    with open(catalogs._po_path("fr"), "rb") as handle:
        catalog = read_po(handle)
    found = [m.string for m in catalog if m.id and isinstance(m.string, str) and elidable.search(m.string)]
    assert found == []
