"""Translatable labels for the structured fields people choose from."""
from __future__ import annotations

from .i18n import N_, Translator

GENDER = {"woman": N_("Woman"), "man": N_("Man"), "other": N_("Other")}
AGE_BAND = {"under35": N_("Under 35"), "35to50": N_("35 to 50"), "over50": N_("Over 50")}
STATUS = {"worker": N_("Worker"), "employee": N_("Employee"), "manager": N_("Manager")}
# Language names are shown in their own language, as people look for them.
LANGUAGE = {"nl": "Nederlands", "fr": "Français", "en": "English"}
ROLE = {"coordinator": N_("coordinator"), "member": N_("listener"), "steering": N_("steering group member")}

FIELDS = {"gender": GENDER, "age_band": AGE_BAND, "status": STATUS}
FIELD_NAMES = {"gender": N_("Gender"), "age_band": N_("Age"), "status": N_("Status"), "language": N_("Language")}


def label(t: Translator, field: str, value: str) -> str:
    if field == "language":
        return LANGUAGE.get(value, value)
    return t(FIELDS[field][value])


def preference_lines(t: Translator, prefs, personally: bool = False) -> list[str]:
    """The requester's wishes in words, without anything that could identify them."""
    lines = []
    if personally:
        lines.append(t("Asked for you personally"))
    for field in ("gender", "age_band", "status", "language"):
        value = getattr(prefs, field)
        if value:
            lines.append(t("{label}: {value}", label=t(FIELD_NAMES[field]), value=label(t, field, value)))
    if prefs.other_department:
        lines.append(t("Someone from another department"))
    return lines
