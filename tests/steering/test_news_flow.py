""""You said, we did" through the real Application: drafting, the second person's approval (also
two at once), who receives it, the news opt-in at the end of a conversation and with /news, what
/forget and retention do to it, and the quarterly reminder when actions closed and nothing was told."""
from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from flows import ask_for_conversation, join_as_member
from steering_flows import T0, coordinator, digest_with_a_signal, last_digest, steering

from bot.steering.actions.news import NewsDesk

BODY = ("You said the peak weeks in production were too heavy. We now plan them with the team leads, "
        "and two temporary colleagues help out in November.")


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def _alerts(offline) -> list[str]:
    return [params.get("text", "") for name, params in offline.calls if name == "answerCallbackQuery"]


async def _follower(services, people, user_id=301, name="Emma"):
    emma = people(user_id, name)
    await emma.send("/news")
    await emma.press("nwe:1")
    return emma


async def _draft(author, text=BODY, figures=True):
    await author.send("/news")
    await author.press("nwd")
    assert "Write nothing that points at a person" in author.last().text
    await author.send(text)
    preview = author.last()
    if figures:
        await author.press("Add the network's figures", preview)
    return preview


async def test_a_coordinator_drafts_a_steering_member_approves_and_it_reaches_listeners_and_followers(
        services, people, offline, clock):
    sofie, boss, team = await digest_with_a_signal(services, people, clock)
    emma = await _follower(services, people)
    assert "You will hear here what changes" in _alerts(offline)[-1]
    finn = people(302, "Finn")  # did not opt in
    await finn.send("/start")

    preview = await _draft(boss)
    assert preview.text.startswith("Your draft, as the listeners and employees will read it:")
    assert "📣 You said, we did" in preview.text and BODY in preview.text
    digest = last_digest(sofie).text
    requests = re.search(r"Q3 2026 \(final\): (\d+) requests", digest)[1]
    figures = re.search(r"In Q3 2026 \(1 Jul – 30 Sep 2026\), colleagues asked the network for a conversation "
                        r"(\d+) times", preview.text)
    assert figures, preview.text
    assert figures[1] == requests  # the quarter's released figure, never a new count
    assert "The network has 3 listeners." in preview.text
    await boss.press("Ask a second person", preview)
    assert "Sent to 1 people who may approve it" in preview.text

    request = sofie.last()
    assert request.text.startswith("📝 A “you said, we did” message waits for a second person.")
    assert "Once approved it goes to 4 listeners and employees" in request.text and request.protect_content
    await boss.press_data(request.button_data()[0], preview)  # the author cannot approve their own
    assert "not its author" in _alerts(offline)[-1]
    assert await services.core.db.fetchval("SELECT state FROM news") == "pending"

    approve = request.button_data()[0]
    await sofie.press("Publish it", request)
    assert "Published: it went to 4 people." in request.text
    for person in (*team, emma):
        message = person.last()
        assert message.text.startswith("📣 You said, we did") and BODY in message.text, person.user
        assert sum(BODY in m.text for m in person.inbox()) == 1
    assert emma.last().button_data() == ["nwe:0"]  # followers can stop right there
    assert team[0].last().button_data() == []     # listeners hear it as listeners
    assert not any(BODY in m.text for m in finn.inbox())
    assert "Sofie approved your “you said, we did” message: it went to 4 people." in boss.last().text
    await sofie.press_data(approve, request)  # a double tap, or a replay: the confirmation stays
    assert request.text == "Published: it went to 4 people."
    assert _alerts(offline)[-1] == "This message was decided on already, so nothing was changed."
    files = b"".join(p.read_bytes() for p in services.settings.db_path.parent.iterdir())
    assert b"peak weeks in production" not in files  # sealed

    # A follower stops from the message itself; the message stays as it was.
    message = emma.last()
    await emma.press("nwe:0", message)
    assert BODY in message.text and message.button_data() == ["nwe:1"]
    assert not await services.core.volunteers.subscribed((await services.core.people.find(301)).id, "news")

    # /news shows the latest message to everyone.
    await finn.send("/news")
    assert BODY in finn.last().text and "nwe:1" in finn.last().button_data() and "nwd" not in finn.last().button_data()


async def test_two_approvals_at_once_publish_once(services, people, clock):
    _, boss, team = await digest_with_a_signal(services, people, clock)
    await steering(services, people, 801, "Tom")
    preview = await _draft(boss, figures=False)
    await boss.press("Ask a second person", preview)
    news_id = await services.core.db.fetchval("SELECT id FROM news")
    first, second = await services.core.people.find(800), await services.core.people.find(801)
    decided = await asyncio.gather(services.news.decide(first, news_id, True), services.news.decide(second, news_id,
                                                                                                   True))
    assert sorted(d.result.value for d in decided) == ["already", "ok"]
    await services.sender.flush()
    for person in team:
        assert sum(BODY in m.text for m in person.inbox()) == 1
    assert await services.core.db.fetchval("SELECT recipients FROM news") == len(team)
    assert sum("approved your" in m.text for m in boss.inbox()) == 1


async def test_a_draft_with_a_name_is_flagged_and_one_sent_back_is_deleted(services, people, offline, clock):
    sofie = await steering(services, people)
    await join_as_member(services, people(200, "Anna"), "Anna")
    boss = await coordinator(services, people)
    clock.shift(timedelta(days=7))  # both may take part in a decision that takes two people by now
    preview = await _draft(sofie, "You told us about the Monday peaks, and now Jan plans them with the team.",
                           figures=False)
    assert "⚠ This may point at a person: it contains “Jan”" in preview.text
    await sofie.press("Ask a second person", preview)
    request = boss.last()
    assert "⚠ The bot warned its author that it may contain a name." in request.text
    await boss.press("Send it back", request)
    assert "You sent it back." in request.text
    assert "sent your “you said, we did” message back" in sofie.last().text
    assert await services.core.db.fetchval("SELECT length(body_enc) FROM news") == 0
    files = b"".join(p.read_bytes() for p in services.settings.db_path.parent.iterdir())
    assert b"Monday peaks" not in files


async def test_a_draft_is_rendered_once_for_each_who_reviews_it(services, people, monkeypatch, clock):
    """The author's preview, the approval asked of two people who read the same language, and the
    draft opened from /news: each renders the message (and reads the digest's figures) once."""
    sofie = await steering(services, people)
    boss = await coordinator(services, people)
    await coordinator(services, people, user_id=901, name="Second")
    clock.shift(timedelta(days=8))  # every one of them may take part in a decision that takes two
    rendered = []
    render = NewsDesk.render

    async def counted(self, t, news):
        rendered.append(t.lang)
        return await render(self, t, news)

    monkeypatch.setattr(NewsDesk, "render", counted)
    preview = await _draft(sofie)  # typed, then "Add the network's figures"
    assert rendered == ["en", "en"] and "📣 You said, we did" in preview.text
    await sofie.press("Ask a second person", preview)
    assert rendered[2:] == ["en"] and BODY in preview.text and "Sent to 2 people" in preview.text
    await boss.send("/news")
    await boss.press("To approve:")
    assert rendered[3:] == ["en"]
    assert boss.last().text.startswith("📝 A “you said, we did” message waits") and BODY in boss.last().text


async def test_without_a_second_person_a_draft_stays_a_draft_and_strangers_cannot_write(services, people, offline,
                                                                                         clock):
    sofie = await steering(services, people)
    preview = await _draft(sofie, figures=False)
    await sofie.press("Ask a second person", preview)
    assert "you can take part from Mon 9 Nov 09:00" in _alerts(offline)[-1]  # got her role today
    clock.shift(timedelta(days=7))
    await sofie.press("Ask a second person", preview)
    assert "nobody else may yet: there is no other coordinator or steering member" in _alerts(offline)[-1]
    await coordinator(services, people)
    await sofie.press("Ask a second person", preview)
    assert "or they got their role less than 7 days ago" in _alerts(offline)[-1]  # a new coordinator may not yet
    assert await services.core.db.fetchval("SELECT state FROM news") == "draft"
    emma = people(301, "Emma")
    await emma.send("/news")
    assert "nwd" not in emma.last().button_data()
    await emma.press_data("nwd", emma.last())
    assert "for the coordinators and the steering group" in _alerts(offline)[-1]
    news_id = await services.core.db.fetchval("SELECT id FROM news")
    await emma.press_data(f"nws:{news_id}:send", emma.last())
    await emma.press_data(f"nwa:{news_id}:ok", emma.last())
    assert await services.core.db.fetchval("SELECT state FROM news") == "draft"
    await sofie.press("nwd")
    await sofie.send("x" * 701)
    assert "longer than 700 characters" in sofie.last().text


async def test_following_the_news_is_one_button_wherever_it_is_offered(services, people, offline, clock):
    """The menu, /news and the end of a conversation offer the same button; pressed in the menu, only
    that button changes: the menu keeps its text and its other buttons, the urgent one among them."""
    emma = people(301, "Emma")
    await emma.send("/start")
    menu = emma.last()
    text, rows = menu.text, [list(row) for row in menu.buttons]
    offered = [b for row in menu.buttons for b in row if b["callback_data"].startswith("nwe:")]
    assert [(b["text"], b["callback_data"]) for b in offered] == [("Hear what changes thanks to the network", "nwe:1")]
    await emma.press("nwe:1", menu)
    assert "You will hear here what changes" in _alerts(offline)[-1]
    assert await services.core.volunteers.subscribed((await services.core.people.find(301)).id, "news")
    assert menu.text == text and "urgent" in menu.button_data()
    assert [[b["callback_data"] for b in row] for row in menu.buttons] == [
        [b["callback_data"] if b not in offered else "nwe:0" for b in row] for row in rows]
    await emma.send("/news")
    assert emma.last().buttons[0] == [b for row in menu.buttons for b in row if b["callback_data"] == "nwe:0"]
    await emma.press("nwe:0", menu)
    assert not await services.core.volunteers.subscribed((await services.core.people.find(301)).id, "news")
    assert menu.text == text and "nwe:1" in menu.button_data() and "urgent" in menu.button_data()


async def test_an_employee_opts_in_at_the_end_of_a_conversation_and_forget_drops_it(services, people, offline, clock):
    anna = people(200, "Anna")
    await join_as_member(services, anna, "Anna")
    emma = people(301, "Emma")
    ref = await ask_for_conversation(emma)
    await anna.press(f"claim:{ref}")
    await anna.send("Hello, I am listening.")
    await emma.send("/start")
    await emma.press(f"end:{ref}")
    closing = next(m for m in reversed(emma.inbox()) if "nwe:1" in m.button_data())
    assert closing.button_data()[-1] == "nwe:1" and "Tap 1 to 5 stars" in closing.text
    await emma.press("nwe:1", closing)
    assert closing.button_data()[-1] == "nwe:0" and "Tap 1 to 5 stars" in closing.text  # the same message
    emma_id = (await services.core.people.find(301)).id
    assert await services.core.volunteers.subscribed(emma_id, "news")

    # Retention keeps a follower (the opt-in needs the person), even with no case left.
    await services.retention.run(datetime(2027, 6, 1, tzinfo=UTC))
    assert await services.core.volunteers.subscribed(emma_id, "news")

    await emma.send("/forget")
    await emma.press("forget:yes")
    assert await services.core.people.find(301) is None
    assert await services.core.db.fetchval("SELECT COUNT(*) FROM subscriptions WHERE person_id = ?", (emma_id,)) == 0

    # Someone with a role keeps the role but loses the opt-in with /forget.
    sofie = await steering(services, people)
    await sofie.send("/news")
    await sofie.press("nwe:1")
    sofie_id = (await services.core.people.find(800)).id
    assert await services.core.volunteers.subscribed(sofie_id, "news")
    await sofie.send("/forget")
    await sofie.press("forget:yes")
    assert not await services.core.volunteers.subscribed(sofie_id, "news")
    assert (await services.core.people.get(sofie_id)).is_steering


async def test_the_steering_group_is_reminded_once_a_quarter_when_closed_actions_were_not_told(
        running, services, people, clock):
    sofie = await steering(services, people)
    boss = await coordinator(services, people)
    person = await services.core.people.find(800)
    for title in ("Peak weeks", "Quiet room"):
        _, action_id = await services.actions.open_action(person, {
            "title": title, "owner": "production manager", "urgency": "high", "feasibility": "quick",
            "due": "2026-12-01", "plan": "", "feedback": ""})
        await services.actions.close(person, action_id, "done", "better")
    # 1 January, 08:59 in Brussels: not yet; 09:00: once.
    clock.move_to(datetime(2027, 1, 1, 7, 59, tzinfo=UTC))
    assert not await services.news.nudge()
    clock.move_to(datetime(2027, 1, 1, 8, 0, tzinfo=UTC))
    assert await services.news.nudge()
    await services.sender.flush()
    reminder = sofie.last()
    assert reminder.text.startswith("Actions closed last quarter (2026-Q4) that nothing was told to staff about yet:")
    assert "• “Peak weeks”" in reminder.text and "• “Quiet room”" in reminder.text
    assert "nwd" in reminder.button_data()
    assert not any("closed last quarter" in m.text for m in boss.inbox())
    await running.restart()
    assert not await running.services.news.nudge()  # once per quarter

    # Next quarter: an action closed and told about in a message: no reminder.
    services = running.services
    clock.move_to(datetime(2027, 2, 1, 9, 0, tzinfo=UTC))
    _, action_id = await services.actions.open_action(person, {
        "title": "Shift swaps", "owner": "HR", "urgency": "medium", "feasibility": "means", "due": "2027-03-01",
        "plan": "", "feedback": ""})
    await services.actions.close(person, action_id, "done", "better")
    drafted = await services.news.draft(await services.core.people.find(900), "We made shift swaps easier.",
                                        action_id)
    await services.news.submit(await services.core.people.find(900), drafted.news_id)
    await services.news.decide(person, drafted.news_id, True)
    clock.move_to(datetime(2027, 4, 1, 9, 0, tzinfo=UTC))
    assert not await services.news.nudge()
    assert await services.core.db.fetchval("SELECT COUNT(*) FROM nudges") == 2
