"""Casework on Telegram: notes, themes, referrals, closing with an outcome, feedback,
erasure (/forget) and the coordinators' audit and quality figures.

Buttons carry only a case reference and a key; every press is checked again against the
database by bot/casework.py, so an old or forged button changes nothing.
"""
from __future__ import annotations

from babel.numbers import format_decimal

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from bot.app import services
from bot.casework import ACTIONS, ACTORS, MAX_COMMENT, MAX_NOTE, OUTCOMES, Result, outcome_buttons
from bot.charter import THEME_GROUPS
from bot.i18n import N_, Translator
from bot.requests import pseudonym
from bot.retention import Erasure

from .common import alert, answer, buttons, person, say, stale_button, tr

REF = r"[A-Z0-9]{5}"
AWAITED = ("note", "feedback_comment")  # free text kept here, never passed on
GROUPS = {
    "domain": N_("Legal domains (the five A's)"),
    "manifestation": N_("How it shows"),
    "theme": N_("Themes people bring"),
}
CHUNK = 3500  # long lists (notes, the directory) go in messages below Telegram's 4096 characters


def _colleague(t: Translator, ref: str) -> str:
    return t("Colleague {ref}", ref=ref)


def _refusal(t: Translator, result: Result, unknown: str | None = None) -> str:
    return {
        Result.NOT_MEMBER: t("This is for listeners of the vigilance network."),
        Result.NOT_YOURS: t("This is not one of your conversations, so nothing was changed."),
        Result.CLOSED: t("This conversation is closed, so nothing was changed."),
        Result.ALREADY: t("This was already done, so nothing was changed."),
        Result.NOT_ALLOWED: t("This is for coordinators only."),
        Result.EMPTY: t("That was empty, so nothing was saved."),
        Result.UNKNOWN: unknown or t("That choice does not exist, so nothing was changed."),
    }.get(result) or t("Nothing was changed.")


async def _reply(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str) -> None:
    """A refusal: a pop-up for a button press, a message for typed input."""
    if update.callback_query is not None:
        await alert(update, context, text)
    else:
        await say(update, text)


def _parts(update: Update) -> list[str]:
    return update.callback_query.data.split(":")


# Notes -------------------------------------------------------------------------------

async def note_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/note <text> saves a note; as a reply to a colleague's message it goes to that case.
    /note alone asks for the text. With several cases and no reply, the member chooses."""
    t, who = tr(context), person(context)
    casework, desk = services(context).casework, services(context).desk
    member = await services(context).core.members.by_person(who.id)
    if member is None or member.left:
        await say(update, _refusal(t, Result.NOT_MEMBER))
        return
    words = update.message.text.split(None, 1)  # the note may start on the next line
    text = words[1].strip() if len(words) > 1 else ""
    target = None
    if update.message.reply_to_message is not None:
        target = await desk.case_of_reply(who, update.message.reply_to_message.message_id)
    if target is None:
        cases = await casework.open_cases(who)
        if not cases:
            await say(update, t("You have no open conversations to keep notes on."))
            return
        if len(cases) > 1:
            # Never guess between people: the member says which case. The text waits in memory only.
            context.user_data["note_text"] = text or None
            await say(update, t("Which conversation is this note for?"), buttons(*[
                [(pseudonym(t, r), f"notefor:{r.ref}" if text else f"note:{r.ref}")] for r in cases
            ]))
            return
        target = cases[0]
    if text:
        await _save_note(update, context, target.ref, text)
    else:
        await _await_note(update, context, target.ref)


async def note_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """note:<ref> asks for a note's text; note:<ref>:cancel stops waiting for it."""
    t = tr(context)
    parts = _parts(update)
    if len(parts) == 3:
        context.user_data.pop("awaiting", None)
        context.user_data.pop("note_ref", None)
        await answer(update, t("No note was saved."))
        return
    await _await_note(update, context, parts[1])


async def note_for(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """notefor:<ref>: the case chosen for a /note text typed while holding several cases."""
    text = context.user_data.pop("note_text", None)
    if not text:
        await stale_button(update, context)
        return
    await _save_note(update, context, _parts(update)[1], text)


async def _await_note(update: Update, context: ContextTypes.DEFAULT_TYPE, ref: str) -> None:
    t = tr(context)
    result = await services(context).casework.check(person(context), ref)
    if result is not Result.OK:
        await _reply(update, context, _refusal(t, result))
        return
    context.user_data["awaiting"] = "note"
    context.user_data["note_ref"] = ref
    text = t("Write your note on {colleague} now (at most {limit} characters). It is not sent to anyone; "
             "only you can read it, and it is deleted with the case's content.",
             colleague=_colleague(t, ref), limit=MAX_NOTE)
    # A new message: the list of notes or of cases the button was under stays readable.
    await say(update, text, buttons([(t("Cancel"), f"note:{ref}:cancel")]))


async def _save_note(update: Update, context: ContextTypes.DEFAULT_TYPE, ref: str, text: str) -> Result:
    t = tr(context)
    result = await services(context).casework.add_note(person(context), ref, text)
    if result is Result.OK:
        reply = t("Note saved on {colleague}. It was not sent to anyone.", colleague=_colleague(t, ref))
    elif result is Result.TOO_LONG:
        reply = t("This note is too long: at most {limit} characters. Nothing was saved; please send a "
                  "shorter note.", limit=MAX_NOTE)
    else:
        reply = _refusal(t, result)
    if update.callback_query is not None and result is Result.OK:
        await answer(update, reply)
    else:
        await _reply(update, context, reply)
    return result


async def show_notes(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """notes:<ref>: the notes, for the member who holds the case only, protected from forwarding."""
    t, core = tr(context), services(context).core
    ref = _parts(update)[1]
    result, request, notes = await services(context).casework.notes(person(context), ref)
    if result is not Result.OK:
        await _reply(update, context, _refusal(t, result))
        return
    member = await core.members.by_person(person(context).id)
    tz = services(context).settings.timezone
    header = t("Notes on {colleague} (only you can read them):", colleague=_colleague(t, ref))
    if not notes:
        header = t("There are no notes on {colleague} you can read.", colleague=_colleague(t, ref))
    entries = [header]
    for note in notes:
        by = "" if note.member_id == member.id else " · " + t("earlier listener")
        entries.append(f"— {t.when(note.created_at, tz)}{by}\n{note.body}")
    messages = _chunks(entries)
    markup = buttons([(t("Add a note"), f"note:{ref}")]) if request.is_open else None
    for i, text in enumerate(messages):
        await update.effective_chat.send_message(
            text, protect_content=True, reply_markup=markup if i == len(messages) - 1 else None)


# Themes and level ------------------------------------------------------------------------

async def tags(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """tags:<ref> overview; tags:<ref>:<group> a group's themes; tags:<ref>:level; tags:<ref>:done."""
    parts = _parts(update)
    await _show_tags(update, context, parts[1], parts[2] if len(parts) > 2 else None)


async def _show_tags(update: Update, context: ContextTypes.DEFAULT_TYPE, ref: str, page: str | None) -> None:
    t = tr(context)
    result, request, facts = await services(context).casework.tags(person(context), ref)
    if result is not Result.OK:
        await _reply(update, context, _refusal(t, result))
        return
    charter = services(context).core.charter
    if page in THEME_GROUPS:
        await answer(update, t("{group} for {colleague}: tap to add or remove.", group=t(GROUPS[page]),
                               colleague=_colleague(t, ref)),
                     buttons(*[[(_mark(th.key in facts.themes, th.label(t.lang)), f"tag:{ref}:{th.key}")]
                               for th in charter.themes_in(page)],
                             [(t("Back"), f"tags:{ref}")]))
    elif page == "level":
        await answer(update, t("Where does the problem of {colleague} sit?", colleague=_colleague(t, ref)),
                     buttons(*[[(_mark(lv.key == facts.level, lv.label(t.lang)), f"lvl:{ref}:{lv.key}")]
                               for lv in charter.levels],
                             [(t("Back"), f"tags:{ref}")]))
    elif page == "done":
        await answer(update, _summary(t, charter, ref, facts))
    elif page is None:
        await answer(update, _summary(t, charter, ref, facts) + "\n\n" + t(
            "Tags are not free text: they count, without names, in the figures for the steering group."),
            buttons(*[[(t(GROUPS[g]), f"tags:{ref}:{g}")] for g in THEME_GROUPS],
                    [(t("Level"), f"tags:{ref}:level")],
                    [(t("Done"), f"tags:{ref}:done")]))
    else:
        await stale_button(update, context)


def _mark(selected: bool, label: str) -> str:
    return f"✓ {label}" if selected else label


def _summary(t: Translator, charter, ref: str, facts) -> str:
    themes = [charter.theme(k) for k in sorted(facts.themes)]
    names = ", ".join(th.label(t.lang) for th in themes if th) or t("none yet")
    level = charter.level(facts.level) if facts.level else None
    return t("Themes of {colleague}: {themes}. Level: {level}.", colleague=_colleague(t, ref), themes=names,
             level=level.label(t.lang) if level else t("not set"))


async def tag(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """tag:<ref>:<theme key>: add or remove a theme."""
    t = tr(context)
    _, ref, key = update.callback_query.data.split(":", 2)
    result, facts = await services(context).casework.toggle_theme(person(context), ref, key)
    if result is not Result.OK:
        await _reply(update, context, _refusal(t, result, t(
            "That theme is not in the list of themes, so nothing was changed.")))
        return
    await _show_tags(update, context, ref, services(context).core.charter.theme(key).group)


async def level(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """lvl:<ref>:<level key>."""
    t = tr(context)
    _, ref, key = update.callback_query.data.split(":", 2)
    result = await services(context).casework.set_level(person(context), ref, key)
    if result is not Result.OK:
        await _reply(update, context, _refusal(t, result, t(
            "That level does not exist, so nothing was changed.")))
        return
    await _show_tags(update, context, ref, None)


# Referrals ----------------------------------------------------------------------------------

async def refer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """rfr:<ref> pick a contact; rfr:<ref>:<key> ask about consent; rfr:<ref>:<key>:<0|1> send it."""
    t, casework = tr(context), services(context).casework
    parts = _parts(update)
    ref = parts[1]
    gone = t("That contact is no longer in the directory, so nothing was sent.")
    result = await casework.check(person(context), ref)
    if result is not Result.OK:
        await _reply(update, context, _refusal(t, result))
        return
    if len(parts) == 2:
        await answer(update, t("Which contact do you want to send to {colleague}? They receive its name, how "
                               "to reach it and when it helps.", colleague=_colleague(t, ref)),
                     buttons(*[[(r.name(t.lang), f"rfr:{ref}:{r.key}")] for r in casework.directory()],
                             [(t("Cancel"), f"keepcase:{ref}")]))
        return
    referral = services(context).core.charter.referral(parts[2])
    if referral is None or referral.incomplete:
        await _reply(update, context, gone)
        return
    if len(parts) == 3:
        await answer(update, t("Has {colleague} agreed that you pass on anything about them to {name}? "
                               "Only a referral is recorded, never what was said.",
                               colleague=_colleague(t, ref), name=referral.name(t.lang)),
                     buttons([(t("No: send the contact only"), f"rfr:{ref}:{referral.key}:0")],
                             [(t("Yes, they agreed"), f"rfr:{ref}:{referral.key}:1")],
                             [(t("Cancel"), f"keepcase:{ref}")]))
        return
    result = await casework.refer(person(context), ref, referral.key, consent=parts[3] == "1")
    if result is not Result.OK:
        await _reply(update, context, _refusal(t, result, gone))
        return
    await answer(update, t("{name} was sent to {colleague}. Recorded: that a referral happened, not what "
                           "was said.", name=referral.name(t.lang), colleague=_colleague(t, ref)))


# Closing -----------------------------------------------------------------------------------

async def ask_outcome(update: Update, context: ContextTypes.DEFAULT_TYPE, ref: str) -> None:
    """close:<ref> from /cases: closing goes through the outcome."""
    t = tr(context)
    result = await services(context).casework.check(person(context), ref)
    if result is Result.CLOSED:
        await answer(update, t("Conversation {ref} was already closed.", ref=ref))
        return
    if result is not Result.OK:
        await stale_button(update, context)
        return
    await answer(update, t("How did conversation {ref} end? The colleague is told it is closed; the outcome "
                           "only counts in the anonymous figures.", ref=ref),
                 buttons(*outcome_buttons(t, ref), [(t("Cancel"), f"keepcase:{ref}")]))


async def outcome(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """out:<ref>:<outcome>: close with it, or record it for a case the requester ended."""
    t = tr(context)
    _, ref, key = update.callback_query.data.split(":", 2)
    closing = await services(context).casework.close(person(context), ref, key)
    if closing.result is Result.ALREADY:
        await alert(update, context, t("The outcome of conversation {ref} was already recorded.", ref=ref))
        return
    if closing.result is not Result.OK:
        await _reply(update, context, _refusal(t, closing.result, t(
            "That outcome is not one of the choices, so nothing was changed.")))
        return
    if closing.closed_now:
        text = t("Conversation {ref} is closed. The colleague has been told. Thank you.", ref=ref)
    else:
        text = t("Outcome recorded for conversation {ref}: {outcome}. Thank you.", ref=ref, outcome=t(OUTCOMES[key]))
    await answer(update, text)
    if closing.untagged:
        await say(update, t("Which themes did the conversation with {colleague} touch? Tags count only in the "
                            "anonymous figures.", colleague=_colleague(t, ref)),
                  buttons([(t("Add themes"), f"tags:{ref}")]))


# Feedback and the notes question, on the requester's side -------------------------------------

async def feedback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """fb:<ref>:<1-5> rates the closed conversation; fb:<ref>:skip declines to comment."""
    t = tr(context)
    _, ref, value = update.callback_query.data.split(":")
    if value == "skip":
        context.user_data.pop("awaiting", None)
        context.user_data.pop("feedback_ref", None)
        await answer(update, t("Thank you for your rating."))
        return
    result = await services(context).casework.rate(person(context), ref, int(value))
    if result is Result.ALREADY:
        await alert(update, context, t("You have already rated this conversation. Thank you."))
        return
    if result is not Result.OK:
        await stale_button(update, context)
        return
    await update.callback_query.edit_message_reply_markup(None)
    context.user_data["awaiting"] = "feedback_comment"
    context.user_data["feedback_ref"] = ref
    await say(update, t("Thank you. Would you like to add a comment (at most {limit} characters)? Write it "
                        "now. It is kept encrypted and read only for the network's quality figures, never "
                        "with your name or your conversation.", limit=MAX_COMMENT),
              buttons([(t("No comment"), f"fb:{ref}:skip")]))


async def _save_comment(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str) -> None:
    t = tr(context)
    ref = context.user_data.get("feedback_ref")
    result = await services(context).casework.comment(person(context), ref or "", text)
    if result is Result.TOO_LONG:
        await say(update, t("This comment is too long: at most {limit} characters. Nothing was saved; please "
                            "send a shorter one.", limit=MAX_COMMENT))
        return
    context.user_data.pop("awaiting", None)
    context.user_data.pop("feedback_ref", None)
    if result is Result.OK:
        await say(update, t("Thank you. Your comment helps the network do better."))
    else:
        await say(update, _refusal(t, result))


async def notes_consent(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """nc:<ref>:<y|n>: may the next listener read the notes of a handed-over conversation?"""
    t = tr(context)
    _, ref, choice = update.callback_query.data.split(":")
    result = await services(context).casework.answer_notes_consent(person(context), ref, choice == "y")
    if result is Result.ALREADY:
        await alert(update, context, t("You have already answered this question."))
    elif result is not Result.OK:
        await stale_button(update, context)
    elif choice == "y":
        await answer(update, t("Thank you. The listener who takes over may read the notes."))
    else:
        await answer(update, t("The notes have been deleted. The listener who takes over starts afresh."))


async def on_awaited_text(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str) -> None:
    """A note or a feedback comment the bot asked for: kept, never passed on."""
    if context.user_data.get("awaiting") == "feedback_comment":
        await _save_comment(update, context, text)
        return
    ref = context.user_data.get("note_ref", "")
    if await _save_note(update, context, ref, text) is not Result.TOO_LONG:  # too long: a shorter one may follow
        context.user_data.pop("awaiting", None)
        context.user_data.pop("note_ref", None)


# Erasure ------------------------------------------------------------------------------------

async def forget(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/forget asks for confirmation; forget:yes erases at once, forget:no keeps everything."""
    t, who, core = tr(context), person(context), services(context).core
    member = await core.members.by_person(who.id)
    has_role = bool(who.roles) or (member is not None and not member.left)
    if update.callback_query is None:
        if has_role:
            text = t("/forget erases what you asked as a colleague who needed a listener: your request is "
                     "closed and its messages deleted. You also have a role in the network, and that stays, "
                     "with what you do for it. To be removed completely, a listener first uses /leave, then "
                     "/forget. Erase your data as a colleague now?")
        else:
            text = t("Do you want to erase your data? Your open request is closed (your listener is told you "
                     "closed it) and everything that links you to your conversations is deleted at once: "
                     "messages, notes, and the bot's record of your Telegram account. Only anonymous counts "
                     "remain. This cannot be undone.")
        await say(update, text, buttons([(t("Yes, erase it"), "forget:yes")], [(t("No, keep it"), "forget:no")]))
        return
    if update.callback_query.data == "forget:no":
        await answer(update, t("Nothing was erased."))
        return
    done = await services(context).retention.forget(who)
    lines = []
    if done.closed_ref:
        lines.append(t("Your request {ref} is closed.", ref=done.closed_ref))
    if done.erasure is Erasure.ERASED:
        lines.append(t("Everything that linked you to your conversations has been erased. If you write to "
                       "this bot again, it starts afresh, without knowing you."))
    elif done.erasure is Erasure.ROLE_KEPT and done.cases:
        lines.append(t("What you asked as a colleague has been erased (conversations: {count}). Your role in "
                       "the network stays.", count=done.cases))
    else:
        lines.append(t("There was nothing to erase: the bot keeps nothing about you as a colleague who "
                       "asked for a conversation. Nothing was changed."))
    await answer(update, "\n\n".join(lines))
    if done.erasure is not Erasure.ROLE_KEPT:
        context.user_data.clear()  # nothing of the person stays in memory either
    else:
        for key in ("awaiting", "ask", "feedback_ref"):
            context.user_data.pop(key, None)


# For coordinators: the audit trail and quality figures, never content ---------------------------

async def audit(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    t, tz = tr(context), services(context).settings.timezone
    result, summary = await services(context).casework.audit_summary(person(context))
    if result is not Result.OK:
        await say(update, _refusal(t, result))
        return
    lines = [t("Audit trail, last {days} days: who did what to which case, never any content.", days=summary.days)]
    lines += [f"• {t(ACTIONS.get(action, action))}: {count}" for action, count in summary.counts.items()]
    if summary.recent:
        lines.append("")
        lines.append(t("Latest:"))
    for entry in summary.recent:
        who = t(ACTORS[entry.actor_role], id=entry.actor_id)
        what = t(ACTIONS.get(entry.action, entry.action))
        lines.append(" · ".join(filter(None, [t.when(entry.at, tz), who, what, entry.request_ref])))
    await say(update, "\n".join(lines))


async def quality(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    t = tr(context)
    result, figures = await services(context).casework.quality(person(context))
    if result is not Result.OK:
        await say(update, _refusal(t, result))
        return
    days = services(context).settings.retention.days
    k = services(context).settings.small_cell
    if figures.count < k:
        # Few ratings could point to one person's opinion: figures only from k on.
        await say(update, t("Fewer than {k} ratings in the last {days} days: no figures yet.",
                            k=k, days=days))
        return
    average = sum(n * c for n, c in figures.by_rating.items()) / figures.count
    await say(update, t(
        "Ratings in the last {days} days: {count}, on average {average} out of 5. Written comments: "
        "{comments} (kept encrypted; they are not shown to anyone here).",
        days=days, count=figures.count, comments=figures.comments,
        average=format_decimal(round(average, 1), locale=t.lang)))


# The referral directory for /help ------------------------------------------------------------

async def show_directory(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    t, casework = tr(context), services(context).casework
    entries = [r for r in casework.directory() if not r.shows_emergency]  # /help shows those numbers already
    parts = [t("Other places where you can find help:")]
    parts += [casework.entry_text(t, r) for r in entries]
    parts.append(t("To erase everything the bot keeps about you: /forget."))
    for text in _chunks(parts):
        await say(update, text)


def _chunks(parts: list[str]) -> list[str]:
    """Paragraphs joined into messages below Telegram's limit."""
    messages, current = [], ""
    for part in parts:
        if current and len(current) + len(part) + 2 > CHUNK:
            messages.append(current)
            current = part
        else:
            current = f"{current}\n\n{part}" if current else part
    return messages + [current] if current else messages


def register(app: Application) -> None:
    app.add_handler(CommandHandler("note", note_command))
    app.add_handler(CommandHandler("forget", forget))
    app.add_handler(CommandHandler("audit", audit))
    app.add_handler(CommandHandler("quality", quality))
    app.add_handler(CallbackQueryHandler(show_notes, pattern=rf"^notes:{REF}$"))
    app.add_handler(CallbackQueryHandler(note_button, pattern=rf"^note:{REF}(:cancel)?$"))
    app.add_handler(CallbackQueryHandler(note_for, pattern=rf"^notefor:{REF}$"))
    app.add_handler(CallbackQueryHandler(tags, pattern=rf"^tags:{REF}(:[a-z]+)?$"))
    app.add_handler(CallbackQueryHandler(tag, pattern=rf"^tag:{REF}:.+$"))
    app.add_handler(CallbackQueryHandler(level, pattern=rf"^lvl:{REF}:.+$"))
    app.add_handler(CallbackQueryHandler(refer, pattern=rf"^rfr:{REF}(:[^:]+(:[01])?)?$"))
    app.add_handler(CallbackQueryHandler(outcome, pattern=rf"^out:{REF}:.+$"))
    app.add_handler(CallbackQueryHandler(feedback, pattern=rf"^fb:{REF}:([1-5]|skip)$"))
    app.add_handler(CallbackQueryHandler(notes_consent, pattern=rf"^nc:{REF}:[yn]$"))
    app.add_handler(CallbackQueryHandler(forget, pattern=r"^forget:(yes|no)$"))
