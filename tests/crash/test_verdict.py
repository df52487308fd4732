"""The kill test's reading of direct answers: what counts as lost, as an unmarked repeat, and
what is only a copy that reached Telegram late. (Fast: no bot, no double.)"""
from __future__ import annotations

import itertools

from double import BotMessage, StoredMessage
from kill_driver import HEADER, KillConfig, Verdict, direct_answers

REFS = ("AAAAA", "BBBBB")
_ids = itertools.count(1)


def _read(*tokens: str) -> list[BotMessage]:
    """The listener's chat: "H", a card "A"/"B", "about"/"places" of /help; "🔁" before: marked."""
    messages = []
    for token in tokens:
        marked, name = token.startswith("🔁"), token.removeprefix("🔁")
        public = {"message_id": next(_ids), "chat": {"id": 1}}
        if name == "H":
            public["text"] = f"{HEADER}: 2."
        elif name in ("A", "B"):
            ref = REFS[name == "B"]
            public["text"] = f"Colleague {ref}: taken today."
            public["reply_markup"] = {"inline_keyboard": [[{"text": "Close", "callback_data": f"close:{ref}"}]]}
        elif name == "about":
            public["text"] = "This bot puts you in touch, confidentially, with a colleague"
        else:
            public["text"] = "Other places where you can find help:\n..."
        if marked:
            public["text"] = "🔁 Possibly a repeat: sent again after an interruption.\n" + public["text"]
        messages.append(BotMessage(StoredMessage(public, "bot")))
    return messages


def _verdict(commands: list[str], *tokens: str) -> Verdict:
    return Verdict(KillConfig(), [], 0, {}, 1, [], [], 0, [], 0.0, commands=commands,
                   answers=direct_answers(_read(*tokens)), refs=REFS)


def test_copies_sent_again_after_a_restart_are_marked_and_counted_with_their_answer():
    verdict = _verdict(["/cases", "/help", "/cases"],
                       "H", "A", "🔁H", "🔁A", "🔁B", "about", "🔁about", "places", "🔁H", "🔁A", "🔁B")
    assert verdict.direct_in_step and verdict.direct_lost == [] and verdict.direct_unmarked == 0


def test_an_answer_said_twice_unmarked_is_caught_in_step_and_out_of_step():
    a_card_again = _verdict(["/cases", "/help"], "H", "A", "A", "B", "about", "places")
    assert a_card_again.direct_in_step and a_card_again.direct_unmarked == 1
    handled_twice = _verdict(["/cases", "/help"], "H", "A", "B", "H", "A", "B", "about", "places")
    assert handled_twice.direct_unmarked == 3
    out_of_step = _verdict(["/cases", "/help", "/cases"],  # a late first part: judged by counting
                           "H", "A", "B", "about", "places", "H", "about", "A", "B")
    assert not out_of_step.direct_in_step and out_of_step.direct_unmarked == 1


def test_a_part_never_read_is_lost():
    verdict = _verdict(["/cases", "/help"], "H", "A", "about", "places")
    assert verdict.direct_lost == ["1 /cases: BBBBB"]


def test_a_copy_that_reached_telegram_late_is_counted_with_its_own_answer():
    late_card = _verdict(["/cases", "/help", "/cases"],
                         "H", "A", "🔁H", "🔁A", "🔁B", "about", "places", "B", "H", "A", "B")
    assert late_card.direct_in_step and late_card.direct_lost == [] and late_card.direct_unmarked == 0
    # The first answer's header went twice, marked; its original arrived late, just before the next one's.
    late_header = _verdict(["/cases", "/help", "/cases"],
                           "🔁H", "🔁A", "🔁B", "about", "places", "H", "H", "A", "B")
    assert late_header.direct_in_step and late_header.direct_lost == [] and late_header.direct_unmarked == 0
    between = _verdict(["/cases", "/help", "/cases"],
                       "🔁H", "🔁A", "🔁B", "about", "H", "places", "H", "A", "B")
    assert between.direct_in_step and between.direct_lost == [] and between.direct_unmarked == 0
    out_of_step = _verdict(["/cases", "/help", "/cases"],  # the late one is /help's first part
                           "H", "A", "B", "🔁about", "places", "H", "about", "A", "B")
    assert not out_of_step.direct_in_step and out_of_step.direct_lost == [] and out_of_step.direct_unmarked == 0
