""""Something is wrong in my team": a signal without a conversation. Department, themes and a
level, chosen with buttons; no text at all. The choices so far live in the database (a prompt),
so a restart loses nothing, and every press is checked against them."""
from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from bot.foundations import callbacks, prompts
from bot.foundations.i18n import Translator
from bot.foundations.model import Result, ticked

from .ui import (
    Context,
    alert,
    answer,
    buttons,
    data,
    person,
    say,
    services,
    stale_button,
    tr,
)


async def start(update: Update, context: Context) -> None:
    t = tr(context)
    await services(context).prompts.wait_for(person(context), prompts.SIGNAL, data={"themes": []})
    departments = services(context).settings.departments
    text = "\n\n".join([
        t("Something is wrong in your team? You can tell the network without a conversation: choose your "
          "department, what is going on and where it sits. There is no text and no name."),
        t("How it is used: your signal is counted with the others, never alone, in the figures the steering "
          "group receives, and only once enough signals exist for nobody to be singled out. Only your latest "
          "signal counts: a new one replaces your earlier one."),
        t("Which department is it about?"),
    ])
    rows = [[(name, callbacks.SIGNAL_DEPARTMENT(i))] for i, name in enumerate(departments)]
    rows.append([(t("Cancel"), callbacks.SIGNAL_CANCEL())])
    # A new message: the menu above stays as it was.
    await say(update, text, buttons(*rows))


async def step(update: Update, context: Context) -> None:
    """Every press after the start, checked against the choices so far."""
    t, waiting, pressed = tr(context), services(context).prompts, data(update)
    if callbacks.SIGNAL_CANCEL.parse(pressed) is not None:
        await waiting.clear(person(context), prompts.SIGNAL)
        await answer(update, t("Nothing was sent."))
        return
    current = await waiting.current(person(context))
    if current is None or current.kind != prompts.SIGNAL:
        if callbacks.SIGNAL_SEND.parse(pressed) is not None and await services(context).team_signals.sent(
                person(context)):
            await answer(update, _thanks(t, replaced=False))  # handled again after a crash
        else:
            await stale_button(update, context)
        return
    draft = current.data
    departments = services(context).settings.departments
    if (department := callbacks.SIGNAL_DEPARTMENT.parse(pressed)) is not None:
        if department[0] >= len(departments):
            await stale_button(update, context)
            return
        draft["department"] = department[0]
    elif (theme := callbacks.SIGNAL_THEME.parse(pressed)) is not None:
        key, on = theme
        if key not in {th.key for th in services(context).team_signals.themes()}:
            await stale_button(update, context)
            return
        themes = set(draft.get("themes", []))
        themes = themes | {key} if on == "1" else themes - {key}
        draft["themes"] = sorted(themes)
    elif callbacks.SIGNAL_NEXT.parse(pressed) is not None:
        if not draft.get("themes"):
            await alert(update, context, t("Please choose at least one theme."))
            return
        draft["page"] = "level"
    elif (level := callbacks.SIGNAL_LEVEL.parse(pressed)) is not None:
        if services(context).charter.level(level[0]) is None:
            await stale_button(update, context)
            return
        draft["level"] = level[0]
    elif callbacks.SIGNAL_SEND.parse(pressed) is not None:
        await _send(update, context, draft)
        return
    await waiting.wait_for(person(context), prompts.SIGNAL, data=draft)
    await _show(update, context, draft)


async def _show(update: Update, context: Context, draft: dict) -> None:
    """The next screen the choices so far call for: themes, then the level, then the summary."""
    t, charter = tr(context), services(context).charter
    cancel = [(t("Cancel"), callbacks.SIGNAL_CANCEL())]
    if draft.get("department") is None:
        departments = services(context).settings.departments
        await answer(update, t("Which department is it about?"),
                     buttons(*[[(name, callbacks.SIGNAL_DEPARTMENT(i))] for i, name in enumerate(departments)],
                             cancel))
    elif draft.get("page") != "level":
        chosen = set(draft.get("themes", []))
        rows = [[(ticked(th.label(t.lang), th.key in chosen), callbacks.SIGNAL_THEME(th.key, "0" if th.key in chosen
                                                                                     else "1"))]
                for th in services(context).team_signals.themes()]
        rows.append([(t("Next"), callbacks.SIGNAL_NEXT()), *cancel])
        await answer(update, t("What is going on? Tap all that apply, then Next."), buttons(*rows))
    elif draft.get("level") is None:
        await answer(update, t("Where does the problem sit?"),
                     buttons(*[[(lv.label(t.lang), callbacks.SIGNAL_LEVEL(lv.key))] for lv in charter.levels],
                             cancel))
    else:
        await answer(update, _summary(t, context, draft) + "\n\n" + t("Send this signal?"),
                     buttons([(t("Send"), callbacks.SIGNAL_SEND())], cancel))


def _summary(t: Translator, context: Context, draft: dict) -> str:
    charter = services(context).charter
    themes = ", ".join(charter.theme(k).label(t.lang) for k in draft["themes"] if charter.theme(k))
    return t("Your signal: {department}; {themes}; {level}.",
             department=services(context).settings.departments[draft["department"]], themes=themes,
             level=charter.level(draft["level"]).label(t.lang))


async def _send(update: Update, context: Context, draft: dict) -> None:
    t = tr(context)
    result, replaced = await services(context).team_signals.record(
        person(context), draft.get("department"), draft.get("themes", []), draft.get("level"))
    if result is Result.INVALID:
        # No department: a signal that says nothing about where is not kept. Ask for it.
        draft.pop("department", None)
        await services(context).prompts.wait_for(person(context), prompts.SIGNAL, data=draft)
        await alert(update, context, t("A signal needs a department. Nothing was sent; please choose one."))
        await _show(update, context, draft)
        return
    if result is not Result.OK:
        await alert(update, context, t("Please choose at least one theme and where the problem sits. Nothing was "
                                       "sent."))
        draft.pop("page", None)
        await _show(update, context, draft)
        return
    await services(context).prompts.clear(person(context), prompts.SIGNAL)
    await answer(update, _thanks(t, replaced))


def _thanks(t: Translator, replaced: bool) -> str:
    lines = [t("Thank you. Your signal is counted, without your name, with the others from the same department. "
               "The steering group sees it only once enough signals exist.")]
    if replaced:
        lines.append(t("It replaces the signal you sent earlier."))
    lines.append(t("If you would like to talk about it, you can ask for a conversation at any time with /start."))
    return "\n\n".join(lines)


def register(app: Application) -> None:
    app.add_handler(CallbackQueryHandler(start, pattern=callbacks.SIGNAL_START.pattern))
    for code in (callbacks.SIGNAL_DEPARTMENT, callbacks.SIGNAL_THEME, callbacks.SIGNAL_NEXT, callbacks.SIGNAL_LEVEL,
                 callbacks.SIGNAL_SEND, callbacks.SIGNAL_CANCEL):
        app.add_handler(CallbackQueryHandler(step, pattern=code.pattern))
