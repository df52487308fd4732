"""The commands each person's phone offers: the employee's for everyone, and per role what a
listener, a coordinator or a steering member needs, in their language.

Telegram keeps a menu per chat (BotCommandScopeChat). When someone joins, changes role, leaves
or is removed, a 'menu' delivery is queued in the same transaction; the sender reads the
person's roles when it goes out, so the menu is always the current one.
"""
from __future__ import annotations

from .core import Core
from .i18n import N_
from .model import Payload

_MENU = Payload("")  # what the menu is is read when it goes out

EVERYONE = {
    "start": N_("Start or open the menu"),
    "urgent": N_("I need help now / I am not safe"),
    "help": N_("What this bot does and where to find help"),
    "language": N_("Choose your language"),
    "news": N_("Hear what changes thanks to the network"),
    "forget": N_("Erase your data"),
}
LISTENER = {
    "cases": N_("Your open conversations"),
    "note": N_("Keep a note on a conversation"),
    "profile": N_("Your listener profile"),
    "limit": N_("How many conversations at once"),
    "hours": N_("When you take requests"),
    "meetings": N_("The case discussions and intervisions ahead"),
    "pause": N_("Pause new requests"),
    "resume": N_("Take requests again"),
    "leave": N_("Leave the network"),
    "review": N_("The network's review of recurring problems"),
}
COORDINATOR = {
    "invite": N_("Invite a listener, coordinator or steering group member"),
    "members": N_("Who is available, and their load"),
    "team": N_("The network's people and open invitations"),
    "audit": N_("The audit trail, without content"),
    "quality": N_("Ratings of the last closed quarter"),
    "oncall": N_("Who is on call for urgent requests"),
    "coverage": N_("Gaps in the coming two weeks"),
    "makeup": N_("The network's make-up, and whom to recruit"),
    "meetings": N_("The case discussions and intervisions ahead"),
    "actions": N_("The steering group's actions and the signals they answer"),
}
STEERING = {
    "digest": N_("The latest digest"),
    "actions": N_("Answer signals, follow actions up"),
    "report": N_("The latest quarterly table"),
}


def commands(roles: frozenset[str], listener: bool) -> dict[str, str]:
    """Command name -> untranslated description, for someone with these roles."""
    found = dict(EVERYONE)
    if listener:
        found.update(LISTENER)
    if "coordinator" in roles:
        found.update(COORDINATOR)
    if "steering" in roles:
        found.update(STEERING)
    return found


class Menus:
    def __init__(self, core: Core) -> None:
        self.core = core

    async def commands_for(self, person_id: int) -> list[tuple[str, str]]:
        """The person's menu, translated; empty when they have no role (the default menu applies)."""
        person = await self.core.people.get(person_id)
        if person is None:
            return []
        member = await self.core.members.by_person(person_id)
        listener = member is not None and member.active
        if not person.roles and not listener:
            return []
        t = await self.core.translator(person_id)
        return [(name, t(text)) for name, text in commands(person.roles, listener).items()]

    async def refresh(self, person_id: int) -> None:
        """Queue an update of this person's menu (inside the caller's transaction)."""
        await self.core.outbox.enqueue(person_id, _MENU, kind="menu")
