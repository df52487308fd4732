"""What every handler module shares: who is acting, their language, and how to answer.

Imports nothing from other handler modules, so any of them can use it.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from babel.dates import format_date, get_day_names
from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot

from bot.foundations import clock
from bot.foundations.calendar import Calendar
from bot.foundations.i18n import N_, Translator
from bot.foundations.model import Button, Hours, Person, Result
from bot.foundations.prompts import Prompt
from bot.network import coverage, hours
from bot.network.membership import MAX_NAME
from bot.running import replies
from bot.running.inbox import say_directly
from bot.running.replies import origin
from bot.running.sender import inline_keyboard
from bot.services import Services

__all__ = ["origin"]  # the update's origin key, for services that must not do a thing twice


class Context(CallbackContext[ExtBot, dict, dict, dict]):
    """One per update: PTB makes one for all the handlers an update reaches. What the gate found
    out about the person lives here, for this update only. (`user_data` would keep it in memory
    after the update and lose it at a restart; what the bot waits for lives in the database.)"""

    def __init__(self, application: Application, chat_id: int | None = None, user_id: int | None = None):
        super().__init__(application, chat_id=chat_id, user_id=user_id)
        self.person: Person | None = None   # set by the gatekeeper, refreshed when it changes


CONTEXT_TYPES = ContextTypes(context=Context)


def services(context: Context) -> Services:
    return context.application.bot_data["services"]


def person(context: Context) -> Person:
    """The person behind this update, as resolved by the gatekeeper."""
    return context.person


def tr(context: Context) -> Translator:
    return Translator(person(context).language)


def buttons(*rows: Sequence[Button]) -> InlineKeyboardMarkup | None:
    return inline_keyboard([row for row in rows if row])


# How to answer. Nothing here calls Telegram: what is said becomes part of the update's handling,
# keyed by its inbox row and its order, and goes out once that is committed (bot/running/replies.py).

async def answer(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Reply to the person acting: edit the pressed message, or send a new one. Should the
    pressed message be gone (or a picture), the answer comes as a new message; a double tap
    that changes nothing is fine."""
    query = update.callback_query
    if query is None or query.message is None or not query.message.is_accessible:
        await say(update, text, markup)
        return
    await replies.edit(query.message.message_id, text, _rows(markup),
                       protect=bool(getattr(query.message, "has_protected_content", False)))


async def say(update: Update, text: str, markup: InlineKeyboardMarkup | None = None, *,
              protect: bool = False) -> None:
    """A new message to the person acting (keeps the pressed message as it was). protect: it cannot
    be forwarded or saved (figures for the steering group, the network's review)."""
    await replies.message(text, _rows(markup), protect=protect)


async def picture(update: Update, png: bytes, caption: str, *, protect: bool = True) -> None:
    """A chart, with its caption, to the person acting; protected unless said otherwise."""
    await replies.message(caption, protect=protect, photo=png)


async def edit_buttons(update: Update, markup: InlineKeyboardMarkup | None) -> None:
    """Only the buttons of the pressed message change (None: they go)."""
    await replies.edit_buttons(update.callback_query.message.message_id, _rows(markup))


async def alert(update: Update, context: Context, text: str) -> None:
    """A pop-up answer to a button press. Telegram takes one answer per press."""
    await replies.answer_press(update.callback_query.id, text, alert=True)


async def toast(update: Update, context: Context, text: str) -> None:
    """A short note that fades on the pressed button, when the message itself changes nothing else."""
    await replies.answer_press(update.callback_query.id, text, alert=False)


async def reply(update: Update, context: Context, text: str) -> None:
    """A refusal or short notice: a pop-up for a button press, a message for typed input."""
    if update.callback_query is not None:
        await alert(update, context, text)
    else:
        await say(update, text)


async def to_group(update: Update, text: str) -> None:
    """To a chat where nobody is known, a group: once, after the update is handled."""
    await _directly(update, replies.Direct(update.effective_chat.id, text))


async def farewell(update: Update, text: str) -> None:
    """The last answer to someone this update erased: nothing is kept for them, not even this, so
    it goes once, directly, after the erasure is committed (editing the pressed message)."""
    query = update.callback_query
    pressed = query.message.message_id if query and query.message and query.message.is_accessible else None
    await _directly(update, replies.Direct(update.effective_chat.id, text, pressed, query.id if query else None),
                    erased=True)


async def _directly(update: Update, said: replies.Direct, *, erased: bool = False) -> None:
    if replies.origin() is None:  # outside the inbox nothing is held open: it may go now
        await say_directly(update.get_bot(), said)
    else:
        replies.directly(said, erased=erased)


async def begin(update: Update, context: Context, person: Person) -> None:
    """The gate knows who acts: what this update says goes to them (outside the inbox too). A
    button press's answer is the first thing said, so the spinner stops first."""
    handling = replies.current.get()
    if handling is None or handling.inbox_id is None:  # processed outside the inbox: a handling of its own
        handling = context.application.bot_data["inbox"].outside()
        replies.current.set(handling)
    handling.person_id = person.id
    if update.callback_query is not None:
        await replies.pressed(update.callback_query.id)


def _rows(markup: InlineKeyboardMarkup | None) -> list[list[Button]]:
    if markup is None:
        return []
    return [[(button.text, button.callback_data) for button in row] for row in markup.inline_keyboard]


async def stale_button(update: Update, context: Context) -> None:
    """An old, forged or no longer valid button: say so, change nothing."""
    await alert(update, context, tr(context)("This button is no longer valid."))


def data(update: Update) -> str:
    return update.callback_query.data or ""


async def answer_refused(update: Update, context: Context, result: Result, limit: int) -> bool:
    """A typed answer the service kept nothing of, too long or empty: said so, and the question stays
    open for a better one. False for any other result."""
    t = tr(context)
    if result is Result.TOO_LONG:
        await say(update, t("That is longer than {limit} characters. Please write it shorter; nothing was kept.",
                            limit=limit))
    elif result is Result.EMPTY:
        await say(update, refusal(t, result))
    else:
        return False
    return True


async def ask_name(update: Update, context: Context, kind: str, question: str) -> None:
    """Wait for a name (the prompt `kind`: a listener's, a role's, a volunteer's) and ask for it."""
    await services(context).prompts.wait_for(person(context), kind)
    await say(update, question)


async def took_name(update: Update, context: Context, waiting: Prompt, result: Result) -> bool:
    """The service's answer to a typed name: the question stays open while the name is not 1 to
    MAX_NAME characters (said so); otherwise it closes, and the caller says what follows."""
    if result is Result.INVALID:
        await say(update, tr(context)("Please send a name of 1 to {limit} characters.", limit=MAX_NAME))
        return False
    await services(context).prompts.clear(person(context), waiting.kind)
    return True


def emergency_text(context: Context, t: Translator) -> str:
    found = services(context)
    lines = found.charter.emergency_lines(found.settings.emergency_countries, t.lang)
    listed = "\n".join("☎ " + t("{label}: {value}", label=line.number, value=line.label(t.lang)) for line in lines)
    return t("If you are in danger or thinking of harming yourself, call now:\n{lines}", lines=listed)


def too_soon(t: Translator, context: Context, ready_at: datetime) -> str:
    """A decision that takes two people, refused to someone who got their role too recently."""
    settings = services(context).settings
    return t("You got your role less than {days} days ago. So that a decision that takes two people always takes "
             "two people, you can take part from {when}.", days=settings.two_person_wait.days,
             when=t.when(ready_at, settings.timezone))


def refusal(t: Translator, result: Result, unknown: str | None = None) -> str:
    """Why nothing was changed, in words."""
    return {
        Result.NOT_MEMBER: t("This is for listeners of the vigilance network."),
        Result.NOT_FOUND: t("This is not one of your conversations, so nothing was changed."),
        Result.CLOSED: t("This conversation is closed, so nothing was changed."),
        Result.ALREADY: t("This was already done, so nothing was changed."),
        Result.NOT_ALLOWED: t("This is for coordinators only."),
        Result.EMPTY: t("That was empty, so nothing was saved."),
        Result.UNKNOWN: unknown or t("That choice does not exist, so nothing was changed."),
    }.get(result) or t("Nothing was changed.")


PARTS_OF_DAY = {"morning": N_("morning"), "afternoon": N_("afternoon"), "evening": N_("evening"),
                "night": N_("night")}


def likely_when(t: Translator, moment: datetime, calendar: Calendar) -> str:
    """'now', 'tomorrow (morning)', 'on Monday 30 November (afternoon)': how people say when, on the
    organisation's calendar."""
    now = clock.now()
    if moment <= now + timedelta(minutes=10):
        return t("now")
    part = t(PARTS_OF_DAY[coverage.part_of_day(moment, calendar.zone)])
    day = calendar.date_of(moment)
    days = (day - calendar.date_of(now)).days
    if days == 0:
        return t("today ({part})", part=part)
    if days == 1:
        return t("tomorrow ({part})", part=part)
    return t("on {day} ({part})", day=format_date(day, "EEEE d MMMM", locale=t.lang), part=part)


def day_names(t: Translator) -> dict[int, str]:
    """Monday = 0, abbreviated, in the reader's language."""
    return get_day_names("abbreviated", locale=t.lang, context="format")


def hours_text(t: Translator, spans: Hours | None) -> str:
    """"Mon-Fri 08:00-18:00" in the reader's language; "any time" when none are set."""
    if spans is None:
        return t("any time")
    if not spans:
        return t("none")
    names = day_names(t)
    parts = []
    for days, start, end in hours.describe(spans):
        listed = ", ".join(names[d] for d in days)
        if len(days) > 2 and list(days) == list(range(days[0], days[-1] + 1)):
            listed = f"{names[days[0]]}–{names[days[-1]]}"
        parts.append(f"{listed} {hours.hhmm(start)}–{hours.hhmm(end)}")
    return "; ".join(parts)
