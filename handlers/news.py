""""You said, we did" on the phone: /news (follow the network's news or stop, the latest message,
and for coordinators and steering members: write one, and approve someone else's), the draft's
preview with or without the use figures, the second person's decision, and following the news
(or stopping) from any message that offers it (the menu, /news, the end of a conversation, the
news itself): only that button changes, the message stays as it is."""
from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.foundations import callbacks, prompts
from bot.foundations.i18n import LANGUAGES
from bot.foundations.model import Result, ticked
from bot.foundations.vocab import LANGUAGE
from bot.network.membership import news_button
from bot.running.sender import inline_keyboard
from bot.steering.actions.news import MAX_NEWS, NewsDesk, may_write

from .ui import (
    Context,
    alert,
    answer,
    answer_refused,
    buttons,
    data,
    edit_buttons,
    origin,
    person,
    reply,
    say,
    services,
    stale_button,
    toast,
    too_soon,
    tr,
)


def _wait_days(context: Context) -> int:
    return services(context).settings.two_person_wait.days


def _follow_choice(data: str | None) -> str | None:
    """'1' (follow) or '0' (stop) from the news button, or from the welcome's older one."""
    found = callbacks.NEWS_FOLLOW.parse(data) or callbacks.NEWS.parse(data)
    return found[0] if found else None


async def news_command(update: Update, context: Context) -> None:
    t, who = tr(context), person(context)
    follows, mine, waiting, latest = await services(context).news.overview(who)
    parts = [t("The network's news: what the steering group and the network did with what colleagues raised "
               "(“you said, we did”), and calls for new listeners. Only the bot knows who follows it.")]
    if latest is not None:
        parts.append(t("The latest, from {day}:", day=t.day(latest.published_at)) + "\n\n"
                     + await services(context).news.render(t, latest))
    rows = [[news_button(t, follows)]]
    if may_write(who):
        rows.append([(t("Write a “you said, we did”"), callbacks.NEWS_DRAFT())])
        for item in waiting:
            rows.append([(t("To approve: draft of {day}", day=t.day(item.created_at)), callbacks.NEWS_SHOW(item.id))])
        for item in mine:
            rows.append([(t("Your draft of {day}", day=t.day(item.created_at)), callbacks.NEWS_SHOW(item.id))])
    await say(update, "\n\n".join(parts), buttons(*rows))


async def follow(update: Update, context: Context) -> None:
    """Follow the news, or stop, from any message that offers it (the welcome, /news, the end of a
    conversation, a news message): only that button changes, every other one stays where it was,
    above all the welcome's "I need help now"."""
    t = tr(context)
    wanted = _follow_choice(data(update))
    await services(context).membership.follow_news(person(context), wanted == "1")
    message = update.callback_query.message
    rows = []
    for row in (message.reply_markup.inline_keyboard if message and message.reply_markup else ()):
        if any(_follow_choice(b.callback_data) for b in row):
            rows.append([news_button(t, wanted == "1")])
        else:
            rows.append([(b.text, b.callback_data) for b in row])
    await edit_buttons(update, inline_keyboard(rows))  # a double tap that shows the same again is fine
    await toast(update, context, t("You will hear here what changes thanks to the network. Stop at any time with "
                                   "/news.") if wanted == "1" else t("You no longer hear about the network's news."))


# Writing --------------------------------------------------------------------------------------------

async def ask_text(update: Update, context: Context, action_id: int | None = None) -> None:
    t, who = tr(context), person(context)
    if not may_write(who):
        await reply(update, context, t("This is for the coordinators and the steering group."))
        return
    await services(context).prompts.wait_for(who, prompts.NEWS, ref=None if action_id is None else str(action_id))
    await say(update, t("Your “you said, we did”, in at most {limit} characters: what colleagues raised, and what "
                        "was done about it. It goes to every listener and to the employees who follow the network's "
                        "news, once a second person approves it.\n\nWrite nothing that points at a person: no "
                        "names, no department small enough to guess who, nothing a colleague told a listener.",
                        limit=MAX_NEWS))


async def draft_button(update: Update, context: Context) -> None:
    await ask_text(update, context)


async def tell_button(update: Update, context: Context) -> None:
    (action_id,) = callbacks.ACTION_TELL.parse(data(update))
    await ask_text(update, context, action_id)


def _draft_rows(t, news, readers: dict[str, int]) -> list:
    # Words of their own for each state (as vocab.FOLLOW_NEWS), so the mark is in the translation.
    figures = ((t("✓ With the network's figures"), callbacks.NEWS_FIGURES(news.id, "0")) if news.figures
               else (t("Add the network's figures"), callbacks.NEWS_FIGURES(news.id, "1")))
    written = [(ticked(LANGUAGE[code], code == news.language), callbacks.NEWS_LANGUAGE(news.id, code))
               for code in LANGUAGES] if news.language else []
    return [[figures], written, *map(list, NewsDesk.version_buttons(t, news, readers)),
            [(t("Ask a second person to approve"), callbacks.NEWS_SUBMIT(news.id, "send"))],
            [(t("Delete it"), callbacks.NEWS_SUBMIT(news.id, "drop"))]]


async def _show_draft(update: Update, context: Context, news_id: int, *, flagged=(), edit: bool = True) -> None:
    """The author's preview of their draft, rendered once: the pressed message edited, or a new one."""
    t = tr(context)
    result, news, text = await services(context).news.view(person(context), news_id)
    if result is not Result.OK:
        await _stale(update, context, result)
        return
    await (answer if edit else say)(update, *await _preview(t, context, news, text, flagged))


async def _preview(t, context: Context, news, text: str, flagged=()) -> tuple[str, InlineKeyboardMarkup | None]:
    desk = services(context).news
    readers = await desk.readers()
    lines = [t("Your draft, as the listeners and employees will read it:"), text]
    if news.language:
        lines.append(t("Written in {language} (the first row of buttons below says so; tap another if it is not).",
                       language=t.language_name(news.language)))
    lines.append(desk.languages_text(t, news, readers))
    if flagged or news.flagged:
        found = ", ".join(f"“{w}”" for w in flagged) or "…"
        lines.append(t("⚠ This may point at a person: it contains {found}. Write it again with /news, or ask for "
                       "approval anyway (the second person sees this warning).", found=found))
    return "\n\n".join(lines), buttons(*_draft_rows(t, news, readers))


async def _approval(context: Context, news, text: str) -> tuple[str, InlineKeyboardMarkup | None]:
    """The question to the second person, around the message as `view` rendered it for them."""
    t, desk = tr(context), services(context).news
    readers = await desk.readers()
    return desk.approval_text(t, news, readers, text), buttons(*desk.approval_buttons(t, news, readers))


async def written_in(update: Update, context: Context) -> None:
    """The author corrects the language their text is written in."""
    news_id, code = callbacks.NEWS_LANGUAGE.parse(data(update))
    result = await services(context).news.set_language(person(context), news_id, code)
    if result is not Result.OK:
        await _stale(update, context, result)
        return
    await _show_draft(update, context, news_id)


async def ask_version(update: Update, context: Context) -> None:
    """The message in another language its readers use: its author, or the second person, writes it."""
    t, who = tr(context), person(context)
    news_id, code = callbacks.NEWS_VERSION.parse(data(update))
    result, news = await services(context).news.may_write_version(who, news_id, code)
    if result is not Result.OK:
        await _stale(update, context, result)
        return
    await services(context).prompts.wait_for(who, prompts.NEWS_VERSION, ref=str(news_id), data=code)
    await say(update, t("The message in {language}, in at most {limit} characters. The same rules: nothing that "
                        "points at a person. It says:", language=t.language_name(code), limit=MAX_NEWS)
              + "\n\n" + news.text, protect=True)


async def on_version_text(update: Update, context: Context, text: str, waiting: prompts.Prompt) -> None:
    """A version in another language: kept, then the author's preview or the second person's
    question, around the message rendered once."""
    t, who = tr(context), person(context)
    desk = services(context).news
    code = waiting.data
    if code not in LANGUAGES:  # a language this version no longer offers: the question closes, with a word
        await services(context).prompts.clear(who, prompts.NEWS_VERSION)
        await say(update, t("That language is no longer offered, so your text was not kept. Open the message again "
                            "from /news."))
        return
    written = await desk.write_version(who, waiting.number, code, text)
    if await answer_refused(update, context, written.result, MAX_NEWS):
        return
    await services(context).prompts.clear(who, prompts.NEWS_VERSION)
    if written.result is not Result.OK:
        await say(update, t("This message was decided on already, so nothing was changed.")
                  if written.result is Result.ALREADY else t("This is for the coordinators and the steering group."))
        return
    _, news, rendered = await desk.view(who, waiting.number)
    if news is None:  # sent back (or deleted) just after the version was kept
        await say(update, t("This message was sent back or deleted meanwhile, and your version with it."))
    elif news.author == who.id:
        await say(update, *await _preview(t, context, news, rendered, written.flagged))
    else:
        await say(update, *await _approval(context, news, rendered), protect=True)


async def on_news_text(update: Update, context: Context, text: str, waiting: prompts.Prompt) -> None:
    t, who = tr(context), person(context)
    drafted = await services(context).news.draft(who, text, waiting.number, origin())
    if await answer_refused(update, context, drafted.result, MAX_NEWS):
        return
    await services(context).prompts.clear(who, prompts.NEWS)
    if drafted.result is not Result.OK:
        await say(update, t("This is for the coordinators and the steering group."))
        return
    await _show_draft(update, context, drafted.news_id, flagged=drafted.flagged, edit=False)


async def figures(update: Update, context: Context) -> None:
    news_id, wanted = callbacks.NEWS_FIGURES.parse(data(update))
    result = await services(context).news.set_figures(person(context), news_id, wanted == "1")
    if result is not Result.OK:
        await _stale(update, context, result)
        return
    await _show_draft(update, context, news_id)


async def _stale(update: Update, context: Context, result: Result) -> None:
    t = tr(context)
    if result is Result.ALREADY:
        await alert(update, context, t("This draft was sent on already, so nothing was changed."))
    elif result is Result.NOT_ALLOWED:
        await alert(update, context, t("This is for the coordinators and the steering group."))
    else:
        await stale_button(update, context)


async def submit(update: Update, context: Context) -> None:
    t = tr(context)
    news_id, choice = callbacks.NEWS_SUBMIT.parse(data(update))
    desk = services(context).news
    if choice == "drop":
        result = await desk.drop(person(context), news_id)
        if result is not Result.OK:
            await _stale(update, context, result)
            return
        await answer(update, t("The draft is deleted."))
        return
    submitted = await desk.submit(person(context), news_id)
    if submitted.result is Result.LAST:
        await alert(update, context, t("A second person must approve it, and nobody else may yet: there is no other "
                                       "coordinator or steering member, or they got their role less than {days} days "
                                       "ago. The draft is kept.", days=_wait_days(context)))
        return
    if submitted.result is Result.TOO_SOON:
        await alert(update, context, too_soon(t, context, submitted.ready_at))
        return
    if submitted.result is not Result.OK:
        await _stale(update, context, submitted.result)
        return
    await answer(update, t("Sent to {n} people who may approve it; the first to answer decides. You will be told.",
                           n=submitted.asked) + "\n\n" + submitted.text)


# The second person ----------------------------------------------------------------------------------

async def show(update: Update, context: Context) -> None:
    """A draft from /news: its author's preview, or the approval question for someone else."""
    t, who = tr(context), person(context)
    (news_id,) = callbacks.NEWS_SHOW.parse(data(update))
    desk = services(context).news
    result, news, text = await desk.view(who, news_id)
    if result is not Result.OK:
        await _stale(update, context, result)
        return
    if news.author == who.id and news.state == "draft":
        await answer(update, *await _preview(t, context, news, text))
    elif news.author != who.id and news.state == "pending":
        await answer(update, *await _approval(context, news, text))
    else:
        await alert(update, context, t("This message was decided on already."))


async def decide(update: Update, context: Context) -> None:
    t = tr(context)
    news_id, choice = callbacks.NEWS_DECIDE.parse(data(update))
    decided = await services(context).news.decide(person(context), news_id, choice == "ok")
    if decided.result is Result.OK:
        await answer(update, t("Published: it went to {n} people.", n=decided.recipients) if choice == "ok"
                     else t("You sent it back. Its author has been told; the text is deleted."))
    elif decided.result is Result.ALREADY:
        await reply(update, context, t("This message was decided on already, so nothing was changed."))
    elif decided.result is Result.NOT_ALLOWED:
        await alert(update, context, t("A second person must approve it: not its author."))
    elif decided.result is Result.TOO_SOON:
        await alert(update, context, too_soon(t, context, decided.ready_at))
    else:
        await stale_button(update, context)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("news", news_command))
    app.add_handler(CallbackQueryHandler(follow, pattern=callbacks.NEWS_FOLLOW.pattern))
    app.add_handler(CallbackQueryHandler(follow, pattern=callbacks.NEWS.pattern))  # legacy: see callbacks.NEWS
    app.add_handler(CallbackQueryHandler(draft_button, pattern=callbacks.NEWS_DRAFT.pattern))
    app.add_handler(CallbackQueryHandler(tell_button, pattern=callbacks.ACTION_TELL.pattern))
    app.add_handler(CallbackQueryHandler(figures, pattern=callbacks.NEWS_FIGURES.pattern))
    app.add_handler(CallbackQueryHandler(written_in, pattern=callbacks.NEWS_LANGUAGE.pattern))
    app.add_handler(CallbackQueryHandler(ask_version, pattern=callbacks.NEWS_VERSION.pattern))
    app.add_handler(CallbackQueryHandler(submit, pattern=callbacks.NEWS_SUBMIT.pattern))
    app.add_handler(CallbackQueryHandler(show, pattern=callbacks.NEWS_SHOW.pattern))
    app.add_handler(CallbackQueryHandler(decide, pattern=callbacks.NEWS_DECIDE.pattern))


__all__ = ["register", "on_news_text", "on_version_text"]
