"""Every closed vocabulary the bot uses, with its translatable labels: one home for each.

Profile fields, roles, closing outcomes, hand-back reasons, theme groups, audit actions.
The language list lives in `i18n.LANGUAGES` (the translation layer owns it); the theme
taxonomy itself is data in `charter/themes.toml`.
"""
from __future__ import annotations

from .i18n import N_, Translator

GENDER = {"woman": N_("Woman"), "man": N_("Man"), "other": N_("Other")}
AGE_BAND = {"under35": N_("Under 35"), "35to50": N_("35 to 50"), "over50": N_("Over 50")}
STATUS = {"worker": N_("Worker"), "employee": N_("Employee"), "manager": N_("Manager")}
# Language names are shown in their own language, as people look for them.
LANGUAGE = {"nl": "Nederlands", "fr": "Français", "en": "English"}

# Roles as the README names them. In the database a listener's invitation says 'member'.
ROLE = {"coordinator": N_("coordinator"), "member": N_("listener"), "steering": N_("steering group member")}
INVITE_ROLES = tuple(ROLE)

# The profile fields a requester may choose a listener by, in the order they are asked.
PROFILE_CHOICES = {"gender": GENDER, "age_band": AGE_BAND, "status": STATUS}
FIELD_NAMES = {"gender": N_("Gender"), "age_band": N_("Age"), "status": N_("Status"), "language": N_("Language")}

# How a case ended, chosen by the listener when closing.
OUTCOMES = {
    "listened": N_("Listened"),
    "referred": N_("Referred to a contact"),
    "signposted": N_("Pointed to where help is"),
    "no_reply": N_("No reply from the colleague"),
    "withdrawn": N_("The colleague withdrew"),
}

# The same outcomes, short, as the steering group's digest counts them.
OUTCOMES_COUNTED = {
    "listened": N_("listened"),
    "referred": N_("referred"),
    "signposted": N_("pointed to help"),
    "no_reply": N_("no reply"),
    "withdrawn": N_("withdrew"),
}

# A gap in the network's make-up, as the digest names it (004:3485-3491).
# Whom a call for volunteers asks for, by the gap it fills (plural, as people say it).
WANTED = {
    "woman": N_("women"), "man": N_("men"), "other": N_("people of another gender"),
    "under35": N_("people under 35"), "35to50": N_("people from 35 to 50"), "over50": N_("people over 50"),
    "worker": N_("workers"), "employee": N_("employees (white-collar)"), "manager": N_("managers"),
}

GAPS = {
    "woman": N_("no woman"), "man": N_("no man"),
    "under35": N_("no one under 35"), "35to50": N_("no one from 35 to 50"), "over50": N_("no one over 50"),
    "worker": N_("no worker"), "employee": N_("no employee"), "manager": N_("no manager"),
}

# Why a listener hands a case back ('released' and 'left' are set by the bot).
HAND_BACK_REASONS = {
    "conflict": N_("Conflict of interest"),
    "knows_person": N_("I know this person"),
    "overload": N_("Too much for me right now"),
    "other_profile": N_("Someone else would fit better"),
    "unsaid": N_("I would rather not say"),
}

# How a listener may propose to meet outside the chat: in person or by phone.
MEET_WAYS = {"p": N_("in person"), "t": N_("by phone")}

# Outbox deliveries that put a question to the colleague. One that cannot be delivered is
# answered for them as 'unreachable', and the listener who waits for it is told.
QUESTION_KINDS = ("consent", "meeting")

MEETING_KINDS = {"case_discussion": N_("the case discussion"), "intervision": N_("intervision")}

THEME_GROUP_NAMES = {
    "domain": N_("Legal domains (the five A's)"),
    "manifestation": N_("How it shows"),
    "theme": N_("Themes people bring"),
}

# The steering group's actions (004:1866-1895): urgency and feasibility place an action among the
# priorities with a schedule or the long-term challenges; feasibility also says quick win or structural.
URGENCY = {"high": N_("Urgent"), "medium": N_("Soon"), "low": N_("Can wait")}
FEASIBILITY = {"quick": N_("Quick win"), "means": N_("Feasible with means"),
               "structural": N_("Structural, long term")}
ACTION_STATUS = {"planned": N_("planned"), "in_progress": N_("in progress"), "done": N_("done"),
                 "dropped": N_("dropped")}
# The effect asked when an action is closed (004:3248-3272).
EFFECTS = {"better": N_("Better"), "unchanged": N_("Unchanged"), "worse": N_("Worse"),
           "too_early": N_("Too early to say")}
# How the steering group answered a signal without (or before) an action.
SIGNAL_ANSWERS = {"acknowledged": N_("acknowledged"), "not_now": N_("not now")}


def priority(urgency: str, feasibility: str) -> str:
    """'priority' (with a schedule) or 'challenge' (long term), from urgency x feasibility."""
    return "priority" if urgency != "low" and feasibility != "structural" else "challenge"


def priority_rank(urgency: str, feasibility: str) -> tuple[int, int, int]:
    """Sorts open actions: priorities first, then by urgency, then quick wins before structural."""
    return (priority(urgency, feasibility) != "priority", list(URGENCY).index(urgency),
            list(FEASIBILITY).index(feasibility))


PRIORITY_NAMES = {"priority": N_("Priorities with a schedule"), "challenge": N_("Long-term challenges")}

# What the audit trail records, as coordinators read it.
AUDIT_ACTIONS = {
    "note_added": N_("added a note"),
    "notes_read": N_("read the notes"),
    "theme_added": N_("added a theme"),
    "theme_removed": N_("removed a theme"),
    "level_set": N_("set the level"),
    "referral_sent": N_("sent a referral"),
    "referral_asked": N_("asked the colleague's consent for a referral"),
    "referral_answered": N_("answered about a referral"),
    "meeting_proposed": N_("proposed to meet"),
    "meeting_answered": N_("answered a proposal to meet"),
    "routes_sent": N_("sent the formal and informal routes"),
    "collective_set": N_("marked the collective character"),
    "closed": N_("closed the case"),
    "outcome_recorded": N_("recorded the outcome"),
    "notes_shared": N_("let the next listener read the notes"),
    "notes_withheld": N_("did not let the next listener read the notes"),
    "history_shared": N_("let the next listener read what came before"),
    "history_withheld": N_("let the next listener start afresh"),
    "erased": N_("erased the requester's data on request"),
    "retention": N_("deleted the content after the retention period"),
    "audit_read": N_("read the audit summary"),
    "quality_read": N_("read the quality figures"),
    "invited_member": N_("invited a listener"),
    "invited_coordinator": N_("invited a coordinator"),
    "invited_steering": N_("invited a steering group member"),
    "invitation_cancelled": N_("cancelled an invitation"),
    "removal_proposed": N_("proposed to remove a coordinator"),
    "removal_agreed": N_("agreed to remove a coordinator"),
    "removal_declined": N_("said no to removing a coordinator"),
    "removal_stopped": N_("stopped the removal of a coordinator"),
    "removed_member": N_("removed a listener"),
    "removed_coordinator": N_("removed a coordinator"),
    "removed_steering": N_("removed a steering group member"),
    "volunteers_called": N_("called for volunteers"),
    "suggestion_approved": N_("approved a suggestion for the digest"),
    "suggestion_returned": N_("sent a suggestion back"),
}
# What /audit shows of the fine actions above: coarse classes, so that neither their counts nor a
# case's entries bound any figure the steering group gets (a theme, a level, the collective
# character, a referral's kind, an outcome). The fine action stays in the trail of record.
AUDIT_CLASSES = {
    "details_updated": N_("updated the case's details"),
    "contact_passed": N_("passed on a contact or a route"),
    "case_closed": N_("closed the case"),
}
AUDIT_CLASS_OF = {
    "theme_added": "details_updated", "theme_removed": "details_updated", "level_set": "details_updated",
    "collective_set": "details_updated", "meeting_proposed": "details_updated", "meeting_answered": "details_updated",
    "referral_sent": "contact_passed", "referral_asked": "contact_passed", "referral_answered": "contact_passed",
    "routes_sent": "contact_passed",
    "closed": "case_closed", "outcome_recorded": "case_closed",
}
# The dimensions of the released figures, which no coarse class may name.
FIGURE_DIMENSIONS = frozenset({"theme", "level", "collective", "referral", "outcome", "concern", "department",
                               "urgent", "missed", "conversation", "signal", "rating", "comment"})

AUDIT_ACTORS = {
    "member": N_("listener #{id}"),
    "coordinator": N_("coordinator #{id}"),
    "requester": N_("the colleague"),
    "system": N_("the bot"),
}


# The network's news ("you said, we did", calls for listeners): one label wherever it is offered
# (the welcome, /news, the end of a conversation, a news message itself), by whether one follows it.
# The two states have words of their own, so the mark is part of the chosen one's translation
# rather than model.ticked's (which marks one label that reads the same chosen or not).
FOLLOW_NEWS = {False: N_("Hear what changes thanks to the network"),
               True: N_("✓ You hear what changes (tap to stop)")}


# Reactions on a person's own message, instead of a second message (from Telegram's allowed set).
DELIVERED = "👌"  # the other side has it
KEPT = "✍"        # kept, passed on once a listener takes the request
REPEAT_MARK = "🔁"  # before a message that may have reached the person already (sent again after an interruption)


def label(t: Translator, field: str, value: str) -> str:
    if field == "language":
        return LANGUAGE.get(value, value)
    return t(PROFILE_CHOICES[field][value])


def preference_lines(t: Translator, prefs, personally: bool = False) -> list[str]:
    """The requester's wishes in words, without anything that could identify them."""
    lines = []
    if personally:
        lines.append(t("Asked for you personally"))
    for field in ("gender", "age_band", "status"):
        value = getattr(prefs, field)
        if value:
            lines.append(t("{label}: {value}", label=t(FIELD_NAMES[field]), value=label(t, field, value)))
    if prefs.other_department:
        lines.append(t("Someone from another department"))
    return lines


def pseudonym(t: Translator, ref: str) -> str:
    """How a requester is shown to listeners: the one place that writes it."""
    return t("Colleague {ref}", ref=ref)
