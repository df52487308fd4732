"""What a listener does with a case besides talking: notes, themes and level, the collective
character, sending a contact or the routes the law offers, proposing to meet, and closing with
an outcome.

Buttons carry only a case reference and a key; every press is checked again against the
database by bot/conversation/casework.py, so an old or forged button changes nothing.
"""
from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.conversation.casework import MAX_NOTE, outcome_buttons
from bot.foundations import callbacks, prompts
from bot.foundations.charter import THEME_GROUPS
from bot.foundations.i18n import N_, Translator
from bot.foundations.model import Result, split_message, ticked
from bot.foundations.vocab import MEET_WAYS, OUTCOMES, THEME_GROUP_NAMES, pseudonym

from .ui import (
    Context,
    answer,
    buttons,
    data,
    origin,
    person,
    refusal,
    reply,
    say,
    services,
    stale_button,
    tr,
)

# Notes -------------------------------------------------------------------------------

async def note_command(update: Update, context: Context) -> None:
    """/note <text> saves a note; as a reply to a colleague's message it goes to that case.
    /note alone asks for the text. With several cases and no reply, the listener chooses."""
    t, who = tr(context), person(context)
    casework, talk = services(context).casework, services(context).talk
    if await services(context).membership.listener(who) is None:
        await say(update, refusal(t, Result.NOT_MEMBER))
        return
    words = update.message.text.split(None, 1)  # the note may start on the next line
    text = words[1].strip() if len(words) > 1 else ""
    target = None
    if update.message.reply_to_message is not None:
        replied = update.message.reply_to_message
        target = await talk.case_of_reply(who, replied.message_id, replied.text or replied.caption)
    if target is None:
        cases = await casework.open_cases(who)
        if not cases:
            await say(update, t("You have no open conversations to keep notes on."))
            return
        if len(cases) > 1:
            # Never guess between people: the listener says which case. The text waits, sealed.
            if text:
                await services(context).prompts.wait_for(who, prompts.NOTE_FOR, data=text)
            await say(update, t("Which conversation is this note for?"), buttons(*[
                [(pseudonym(t, r.ref), callbacks.NOTE_FOR(r.ref) if text else callbacks.NOTE_ASK(r.ref))]
                for r in cases
            ]))
            return
        target = cases[0]
    if text:
        await save_note(update, context, target.ref, text)
    else:
        await _await_note(update, context, target.ref)


async def note_ask(update: Update, context: Context) -> None:
    (ref,) = callbacks.NOTE_ASK.parse(data(update))
    await _await_note(update, context, ref)


async def note_cancel(update: Update, context: Context) -> None:
    """Cancel under the note prompt, told truthfully: pressed after the note was sent, the note is
    kept and Cancel changes nothing; before, the question closes and nothing is saved."""
    t, who = tr(context), person(context)
    pressed = data(update)
    if (quit_ := callbacks.NOTE_QUIT.parse(pressed)) is not None:
        ref, before = quit_
        saved = await services(context).casework.latest_note(who, ref) > before
    else:  # a prompt sent before the prompt remembered the newest note: what came after is unknown
        (ref, _), saved = callbacks.NOTE_CANCEL.parse(pressed), None
    closed = await services(context).prompts.clear(who, prompts.NOTE)
    if saved:
        text = t("Your note on {colleague} is saved already, so Cancel changes nothing. Only you can read it.",
                 colleague=pseudonym(t, ref))
    elif closed:
        text = t("No note was saved.")
    elif saved is None:
        text = t("This question was closed already, so Cancel changes nothing.")
    else:
        text = t("This question was closed already; no note was saved with it.")
    await answer(update, text)


async def note_for(update: Update, context: Context) -> None:
    """The case chosen for a /note text typed while holding several cases."""
    (ref,) = callbacks.NOTE_FOR.parse(data(update))
    waiting = await services(context).prompts.current(person(context))
    if waiting is None or waiting.kind != prompts.NOTE_FOR:
        if await services(context).casework.note_saved_by(origin()):  # handled again after a crash
            await answer(update, tr(context)("Note saved on {colleague}. It was not sent to anyone.",
                                             colleague=pseudonym(tr(context), ref)))
        else:
            await stale_button(update, context)
        return
    if await save_note(update, context, ref, waiting.data) is not Result.TOO_LONG:
        await services(context).prompts.clear(person(context), prompts.NOTE_FOR)


async def _await_note(update: Update, context: Context, ref: str) -> None:
    t = tr(context)
    result = await services(context).casework.check(person(context), ref)
    if result is not Result.OK:
        await reply(update, context, refusal(t, result))
        return
    await services(context).prompts.wait_for(person(context), prompts.NOTE, ref=ref)
    newest = await services(context).casework.latest_note(person(context), ref)
    text = t("Write your note on {colleague} now (at most {limit} characters). It is not sent to anyone; "
             "only you can read it, and it is deleted with the case's content.",
             colleague=pseudonym(t, ref), limit=MAX_NOTE)
    # A new message: the list of notes or of cases the button was under stays readable.
    await say(update, text, buttons([(t("Cancel"), callbacks.NOTE_QUIT(ref, newest))]))


async def save_note(update: Update, context: Context, ref: str, text: str) -> Result:
    t = tr(context)
    result = await services(context).casework.add_note(person(context), ref, text, origin())
    if result is Result.OK:
        message = t("Note saved on {colleague}. It was not sent to anyone.", colleague=pseudonym(t, ref))
    elif result is Result.TOO_LONG:
        message = t("This note is too long: at most {limit} characters. Nothing was saved; please send a "
                    "shorter note.", limit=MAX_NOTE)
    else:
        message = refusal(t, result)
    if update.callback_query is not None and result is Result.OK:
        await answer(update, message)
    else:
        await reply(update, context, message)
    return result


async def on_note_text(update: Update, context: Context, text: str, waiting: prompts.Prompt) -> None:
    """The note the bot asked for: kept, never passed on."""
    if await save_note(update, context, waiting.ref, text) is not Result.TOO_LONG:  # too long: a shorter one may follow
        await services(context).prompts.clear(person(context), prompts.NOTE)


async def show_notes(update: Update, context: Context) -> None:
    """The notes, for the listener who holds the case only, protected from forwarding."""
    t = tr(context)
    (ref,) = callbacks.NOTES.parse(data(update))
    result, request, notes = await services(context).casework.notes(person(context), ref)
    if result is not Result.OK:
        await reply(update, context, refusal(t, result))
        return
    member = await services(context).membership.listener(person(context))
    header = t("Notes on {colleague} (only you can read them):", colleague=pseudonym(t, ref))
    if not notes:
        header = t("There are no notes on {colleague} you can read.", colleague=pseudonym(t, ref))
    entries = [header]
    for note in notes:
        by = "" if note.member_id == member.id else " · " + t("earlier listener")
        entries.append(f"— {t.day(note.created_at)}{by}\n{note.body}")
    messages = split_message(entries)
    markup = buttons([(t("Add a note"), callbacks.NOTE_ASK(ref))]) if request.is_open else None
    for i, text in enumerate(messages):
        await say(update, text, markup if i == len(messages) - 1 else None, protect=True)


# The case's card -------------------------------------------------------------------------

MEET_BUTTONS = {"p": N_("In person"), "t": N_("By phone")}  # the ways of vocab.MEET_WAYS, as buttons
# What the card says about a proposal to meet (never where or when: the bot does not know).
MEETING_STATES = {
    "proposed": N_("You proposed to meet; the colleague has not answered yet."),
    "accepted": N_("The colleague agreed to meet."),
    "declined": N_("The colleague prefers to go on writing here."),
    "unreachable": N_("Your proposal to meet could not reach the colleague."),
}


async def show_card(update: Update, context: Context, request, facts, *, new: bool = False,
                    status: str | None = None) -> None:
    """A case as the listener's /cases shows it; sub-screens (themes, a contact, handing back)
    edit this card and come back to it when they are done."""
    t, tz = tr(context), services(context).settings.timezone
    state = t("contact made") if request.contacted_at else t("no contact yet")
    lines = [t("{colleague}: taken {when}, {state}.", colleague=pseudonym(t, request.ref),
               when=t.when(request.claimed_at, tz), state=state),
             _summary(t, services(context).charter, request.ref, facts, named=False)]
    if request.kind == "concern":
        lines.insert(1, t("Worried about a colleague: help them see what they can do and where to point that "
                          "person. Do not note who it is."))
    if request.collective:
        lines.append(t("Marked: a problem with a collective character."))
    if request.meeting in MEETING_STATES:
        lines.append(t(MEETING_STATES[request.meeting]))
    if status:
        lines.insert(0, status)
    ref, routes = request.ref, services(context).casework.routes(facts)
    markup = buttons(
        [(t("Notes"), callbacks.NOTES(ref)), (t("Themes"), callbacks.TAGS(ref))],
        [(t("Send a contact"), callbacks.REFER_PICK(ref))],
        [(t("What the law offers"), callbacks.ROUTES(ref))] if routes else [],
        [(ticked(t("Collective character"), request.collective), callbacks.COLLECTIVE(ref, "0" if request.collective
                                                                                      else "1")),
         (t("Propose to meet"), callbacks.MEET_ASK(ref))],
        [(t("Close this conversation"), callbacks.CLOSE(ref))],
        [(t("Hand it back"), callbacks.HAND_BACK_ASK(ref))],
    )
    await (say if new else answer)(update, "\n".join(lines), markup)


async def back_to_card(update: Update, context: Context, ref: str, status: str | None = None) -> bool:
    """Show the card again after a sub-screen; False when the case is no longer the listener's."""
    result, request, facts = await services(context).casework.tags(person(context), ref, open_only=True)
    if result is not Result.OK:
        return False
    await show_card(update, context, request, facts, status=status)
    return True


# Themes and level ------------------------------------------------------------------------

async def tags(update: Update, context: Context) -> None:
    (ref,) = callbacks.TAGS.parse(data(update))
    await _show_tags(update, context, ref, None)


async def tags_page(update: Update, context: Context) -> None:
    """A theme group's themes, the level, or done."""
    ref, page = callbacks.TAGS_PAGE.parse(data(update))
    await _show_tags(update, context, ref, page)


async def _show_tags(update: Update, context: Context, ref: str, page: str | None) -> None:
    t = tr(context)
    result, request, facts = await services(context).casework.tags(person(context), ref)
    if result is not Result.OK:
        await reply(update, context, refusal(t, result))
        return
    charter = services(context).charter
    if page in THEME_GROUPS:
        await answer(update, t("{group} for {colleague}: tap to add or remove.", group=t(THEME_GROUP_NAMES[page]),
                               colleague=pseudonym(t, ref)),
                     buttons(*[[(ticked(th.label(t.lang), th.key in facts.themes),
                                 callbacks.TAG(ref, th.key, "0" if th.key in facts.themes else "1"))]
                               for th in charter.themes_in(page)],
                             [(t("Back"), callbacks.TAGS(ref))]))
    elif page == "level":
        await answer(update, t("Where does the problem of {colleague} sit?", colleague=pseudonym(t, ref)),
                     buttons(*[[(ticked(lv.label(t.lang), lv.key == facts.level), callbacks.LEVEL(ref, lv.key))]
                               for lv in charter.levels],
                             [(t("Back"), callbacks.TAGS(ref))]))
    elif page == "done":
        if request.is_open:
            await show_card(update, context, request, facts)  # back to the case's card
        else:
            await answer(update, _summary(t, charter, ref, facts))
    elif page is None:
        await answer(update, _summary(t, charter, ref, facts) + "\n\n" + t(
            "Themes and level are not free text: they count, without names, in the figures for the steering group."),
            buttons(*[[(t(THEME_GROUP_NAMES[g]), callbacks.TAGS_PAGE(ref, g))] for g in THEME_GROUPS],
                    [(t("Level"), callbacks.TAGS_PAGE(ref, "level"))],
                    [(t("Done"), callbacks.TAGS_PAGE(ref, "done"))]))
    else:
        await stale_button(update, context)



def _summary(t: Translator, charter, ref: str, facts, *, named: bool = True) -> str:
    """The themes and level; `named` False on the card, whose first line names the colleague already."""
    themes = [charter.theme(k) for k in sorted(facts.themes)]
    names = ", ".join(th.label(t.lang) for th in themes if th) or t("none yet")
    level = charter.level(facts.level) if facts.level else None
    level_name = level.label(t.lang) if level else t("not set")
    if not named:
        return t("Themes: {themes}. Level: {level}.", themes=names, level=level_name)
    return t("Themes of {colleague}: {themes}. Level: {level}.", colleague=pseudonym(t, ref), themes=names,
             level=level_name)


async def tag(update: Update, context: Context) -> None:
    """Add or remove a theme. Tagging violence, bullying or unwanted sexual behaviour on an
    open case brings up, in the flow, what the law offers."""
    t, casework = tr(context), services(context).casework
    ref, key, on = callbacks.TAG.parse(data(update))
    result, facts = await casework.set_theme(person(context), ref, key, on == "1")
    if result is not Result.OK:
        await reply(update, context, refusal(t, result, t(
            "That theme is not in the list of themes, so nothing was changed.")))
        return
    if on == "1" and key in services(context).charter.route_themes \
            and await casework.check(person(context), ref) is Result.OK:
        await _show_routes(update, context, ref, casework.routes(facts))
        return
    await _show_tags(update, context, ref, services(context).charter.theme(key).group)


# The routes the law offers ------------------------------------------------------------------

async def routes(update: Update, context: Context) -> None:
    """What the law offers, for a case tagged with violence, bullying or unwanted sexual behaviour."""
    t = tr(context)
    (ref,) = callbacks.ROUTES.parse(data(update))
    result, _, facts = await services(context).casework.tags(person(context), ref, open_only=True)
    if result is not Result.OK:
        await reply(update, context, refusal(t, result))
        return
    await _show_routes(update, context, ref, services(context).casework.routes(facts))


async def _show_routes(update: Update, context: Context, ref: str, found) -> None:
    t = tr(context)
    if not found:
        await back_to_card(update, context, ref)
        return
    text = "\n\n".join([
        t("{colleague}'s case touches violence, bullying or unwanted sexual behaviour. Pass these routes on, so "
          "they can choose; it is their choice, not yours.", colleague=pseudonym(t, ref)),
        services(context).casework.routes_text(t, found),
    ])
    await answer(update, text, buttons([(t("Send this to {colleague}", colleague=pseudonym(t, ref)),
                                         callbacks.ROUTES_SEND(ref, "send"))],
                                       [(t("Back to the case"), callbacks.KEEP_CASE(ref))]))


async def send_routes(update: Update, context: Context) -> None:
    t = tr(context)
    ref, _ = callbacks.ROUTES_SEND.parse(data(update))
    result = await services(context).casework.send_routes(person(context), ref)
    if result is not Result.OK:
        await reply(update, context, refusal(t, result, t("This case has no theme the routes are for.")))
        return
    sent = t("The routes were sent to {colleague}.", colleague=pseudonym(t, ref))
    if not await back_to_card(update, context, ref, status=sent):
        await answer(update, sent)


# The collective character, meeting outside the chat --------------------------------------

async def collective(update: Update, context: Context) -> None:
    """Mark or unmark the collective character (seed 004, 318-323); it counts in the figures."""
    t = tr(context)
    ref, on = callbacks.COLLECTIVE.parse(data(update))
    result = await services(context).casework.set_collective(person(context), ref, on == "1")
    if result is not Result.OK:
        await reply(update, context, refusal(t, result))
        return
    status = (t("Marked as a problem with a collective character: it counts as such, without names, in the "
                "figures.") if on == "1" else t("No longer marked as collective."))
    if not await back_to_card(update, context, ref, status=status):
        await answer(update, status)


async def meeting(update: Update, context: Context) -> None:
    """Propose to meet: first how, then the colleague is asked (and told what it means)."""
    t, pressed = tr(context), data(update)
    if (parsed := callbacks.MEET_PROPOSE.parse(pressed)) is None:
        (ref,) = callbacks.MEET_ASK.parse(pressed)
        result = await services(context).casework.check(person(context), ref)
        if result is not Result.OK:
            await reply(update, context, refusal(t, result))
            return
        await answer(update, t("Propose to meet {colleague} outside this chat? They choose: if they accept, you will "
                               "know who they are. The bot records only whether they agreed, never where or when.",
                               colleague=pseudonym(t, ref)),
                     buttons(*[[(t(label), callbacks.MEET_PROPOSE(ref, way))] for way, label in MEET_BUTTONS.items()],
                             [(t("Cancel"), callbacks.KEEP_CASE(ref))]))
        return
    ref, way = parsed
    result = await services(context).casework.propose_meeting(person(context), ref, way)
    if result is Result.ALREADY:
        await reply(update, context, t("{colleague} already agreed to meet.", colleague=pseudonym(t, ref)))
        return
    if result is not Result.OK:
        await reply(update, context, refusal(t, result))
        return
    asked = t("{colleague} is asked whether they would like to meet {way}. You will hear their answer here.",
              colleague=pseudonym(t, ref), way=t(MEET_WAYS[way]))
    if not await back_to_card(update, context, ref, status=asked):
        await answer(update, asked)


async def level(update: Update, context: Context) -> None:
    t = tr(context)
    ref, key = callbacks.LEVEL.parse(data(update))
    result = await services(context).casework.set_level(person(context), ref, key)
    if result is not Result.OK:
        await reply(update, context, refusal(t, result, t(
            "That level does not exist, so nothing was changed.")))
        return
    await _show_tags(update, context, ref, None)


# Referrals ----------------------------------------------------------------------------------

async def refer(update: Update, context: Context) -> None:
    """Pick a contact, then send it only, or send it and ask the colleague whether you may pass
    on what is needed: their answer comes from them, never from the listener."""
    t, casework, pressed = tr(context), services(context).casework, data(update)
    if (parsed := callbacks.REFER_SEND.parse(pressed)) is not None:
        ref, key, ask = parsed
    elif (parsed := callbacks.REFER_CHOOSE.parse(pressed)) is not None:
        (ref, key), ask = parsed, None
    else:
        (ref,), key, ask = callbacks.REFER_PICK.parse(pressed), None, None
    gone = t("That contact is no longer in the directory, so nothing was sent.")
    result = await casework.check(person(context), ref)
    if result is not Result.OK:
        await reply(update, context, refusal(t, result))
        return
    if key is None:
        await answer(update, t("Which contact do you want to send to {colleague}? They receive its name, how "
                               "to reach it and when it helps.", colleague=pseudonym(t, ref)),
                     buttons(*[[(r.name(t.lang), callbacks.REFER_CHOOSE(ref, r.key))] for r in casework.directory()],
                             [(t("Cancel"), callbacks.KEEP_CASE(ref))]))
        return
    referral = services(context).charter.referral(key)
    if referral is None or referral.incomplete:
        await reply(update, context, gone)
        return
    if ask is None:
        await answer(update, t("Send the contact “{name}” to {colleague}. Would you also like to tell this contact "
                               "what they need to know? Then the colleague is asked first, and only their own yes "
                               "lets you share anything. Only that a referral happened is recorded, never what was "
                               "said.",
                               colleague=pseudonym(t, ref), name=referral.name(t.lang)),
                     buttons([(t("Send the contact only"), callbacks.REFER_SEND(ref, referral.key, "0"))],
                             [(t("Send and ask consent"), callbacks.REFER_SEND(ref, referral.key, "1"))],
                             [(t("Cancel"), callbacks.KEEP_CASE(ref))]))
        return
    result = await casework.refer(person(context), ref, referral.key, ask=ask == "1")
    if result is not Result.OK:
        await reply(update, context, refusal(t, result, gone))
        return
    if ask == "1":
        sent = t("The contact “{name}” was sent to {colleague}, with the question whether you may share what is "
                 "needed. You will hear their answer here; until then, share nothing.", name=referral.name(t.lang),
                 colleague=pseudonym(t, ref))
    else:
        sent = t("The contact “{name}” was sent to {colleague}. Recorded: that a referral happened, not what was "
                 "said.",
                 name=referral.name(t.lang), colleague=pseudonym(t, ref))
    if not await back_to_card(update, context, ref, status=sent):
        await answer(update, sent)


# Closing -----------------------------------------------------------------------------------

async def ask_outcome(update: Update, context: Context, ref: str) -> None:
    """Closing goes through the outcome."""
    t = tr(context)
    result = await services(context).casework.check(person(context), ref)
    if result is Result.CLOSED:
        await reply(update, context, t("Conversation {ref} was already closed.", ref=ref))
        return
    if result is not Result.OK:
        await stale_button(update, context)
        return
    await answer(update, t("How did conversation {ref} end? The colleague is told it is closed; the outcome "
                           "only counts in the anonymous figures.", ref=ref),
                 buttons(*outcome_buttons(t, ref), [(t("Cancel"), callbacks.KEEP_CASE(ref))]))


async def outcome(update: Update, context: Context) -> None:
    """Close with the outcome, or record it for a case the requester ended."""
    t = tr(context)
    ref, key = callbacks.OUTCOME.parse(data(update))
    closing = await services(context).casework.close(person(context), ref, key)
    if closing.result is Result.ALREADY:
        await reply(update, context, t("The outcome of conversation {ref} was already recorded.", ref=ref))
        return
    if closing.result is not Result.OK:
        await reply(update, context, refusal(t, closing.result, t(
            "That outcome is not one of the choices, so nothing was changed.")))
        return
    if closing.closed_now:
        text = t("Conversation {ref} is closed. The colleague has been told. Thank you.", ref=ref)
    else:
        text = t("Outcome recorded for conversation {ref}: {outcome}. Thank you.", ref=ref, outcome=t(OUTCOMES[key]))
    await answer(update, text)
    if closing.untagged:
        await say(update, t("Which themes did the conversation with {colleague} touch? Themes count only in the "
                            "anonymous figures.", colleague=pseudonym(t, ref)),
                  buttons([(t("Add themes"), callbacks.TAGS(ref))]))


def register(app: Application) -> None:
    app.add_handler(CommandHandler("note", note_command))
    app.add_handler(CallbackQueryHandler(show_notes, pattern=callbacks.NOTES.pattern))
    app.add_handler(CallbackQueryHandler(note_ask, pattern=callbacks.NOTE_ASK.pattern))
    app.add_handler(CallbackQueryHandler(note_cancel, pattern=callbacks.NOTE_CANCEL.pattern))  # legacy: see there
    app.add_handler(CallbackQueryHandler(note_cancel, pattern=callbacks.NOTE_QUIT.pattern))
    app.add_handler(CallbackQueryHandler(note_for, pattern=callbacks.NOTE_FOR.pattern))
    app.add_handler(CallbackQueryHandler(tags, pattern=callbacks.TAGS.pattern))
    app.add_handler(CallbackQueryHandler(tags_page, pattern=callbacks.TAGS_PAGE.pattern))
    app.add_handler(CallbackQueryHandler(tag, pattern=callbacks.TAG.pattern))
    app.add_handler(CallbackQueryHandler(level, pattern=callbacks.LEVEL.pattern))
    for code in (callbacks.REFER_PICK, callbacks.REFER_CHOOSE, callbacks.REFER_SEND):
        app.add_handler(CallbackQueryHandler(refer, pattern=code.pattern))
    app.add_handler(CallbackQueryHandler(routes, pattern=callbacks.ROUTES.pattern))
    app.add_handler(CallbackQueryHandler(send_routes, pattern=callbacks.ROUTES_SEND.pattern))
    app.add_handler(CallbackQueryHandler(collective, pattern=callbacks.COLLECTIVE.pattern))
    for code in (callbacks.MEET_ASK, callbacks.MEET_PROPOSE):
        app.add_handler(CallbackQueryHandler(meeting, pattern=code.pattern))
    app.add_handler(CallbackQueryHandler(outcome, pattern=callbacks.OUTCOME.pattern))
