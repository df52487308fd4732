"""Decisions that take two people, between two people as far as the bot can tell.

Removing a coordinator (membership.py) and publishing a "you said, we did"
(bot/steering/actions/news.py) each take a second person. A coordinator with a second phone could
invite it as a coordinator and be both. The bot cannot know who holds a phone; it makes a second
account cost time and attention instead:

- Time. Whoever got their coordinator or steering role less than WAAKZAAM_TWO_PERSON_WAIT_DAYS
  ago takes no part in such a decision (proposing, answering or stopping a removal; asking for
  approval, approving or sending back a message) and is told from when they can.
- Attention. Every coordinator hears when someone gets a coordinator or steering role, and who
  invited them; every decision that changes something is announced to every coordinator (for
  news, to every steering member too), naming both people by the name they chose and by their
  number, since two accounts may choose the same name. Nobody else is ever named.
- A way back. A coordinator's removal takes effect WAAKZAAM_REMOVAL_DELAY_HOURS after the second
  coordinator agrees; the person is told at once, and any other coordinator who may take part
  can stop it.

What this does not stop is said in SECURITY.md.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime

from bot.foundations import clock
from bot.foundations.core import Core
from bot.foundations.i18n import Translator
from bot.foundations.model import Payload
from bot.foundations.vocab import ROLE

COORDINATOR = ("coordinator",)
STAFF = ("coordinator", "steering")  # who may write and approve a "you said, we did"


class TwoPeople:
    def __init__(self, core: Core) -> None:
        self.core = core

    async def ready_at(self, person_id: int, roles: tuple[str, ...]) -> datetime | None:
        """From when the person may take part, by the earliest of these roles they hold (None: none)."""
        since = await self.core.people.role_since(person_id, roles)
        return None if since is None else since + self.core.settings.two_person_wait

    async def too_soon(self, person_id: int, roles: tuple[str, ...], now: datetime | None = None) -> datetime | None:
        """None when the person may take part now; else the moment from which they may."""
        ready = await self.ready_at(person_id, roles)
        return ready if ready is not None and ready > (now or clock.now()) else None

    async def may_take_part(self, person_id: int, roles: tuple[str, ...]) -> bool:
        ready = await self.ready_at(person_id, roles)
        return ready is not None and ready <= clock.now()

    async def named(self, t: Translator, person_id: int | None) -> str:
        """A coordinator or steering member as announcements name them: the name they chose and
        their number (the one /audit and /team show)."""
        if person_id is None:
            return t("the operator")
        name = await self.core.people.name(person_id)
        return (t("{name} (#{number})", name=name, number=person_id) if name
                else t("#{number} (no name given)", number=person_id))

    async def staff(self, roles: tuple[str, ...] = COORDINATOR) -> list[int]:
        found: set[int] = set()
        for role in roles:
            found.update(await self.core.people.with_role(role))
        return sorted(found)

    async def announce(self, people: Iterable[int], compose: Callable[[Translator, int], Awaitable[Payload | None]]
                       ) -> int:
        """One message to each person, in their language (`compose` may skip someone with None).
        Inside the caller's transaction: the decision and its announcement are one."""
        sent = 0
        for person_id in sorted(set(people)):
            t = await self.core.translator(person_id)
            if (payload := await compose(t, person_id)) is not None:
                await self.core.outbox.enqueue(person_id, payload)
                sent += 1
        return sent

    async def joined(self, person_id: int, role: str) -> None:
        """Someone got a coordinator or steering role: every other coordinator hears it, with who
        invited them and from when they may take part in decisions that take two people. Inside
        the caller's transaction."""
        inviter = await self.core.invites.inviter_of(person_id, role)
        ready = await self.ready_at(person_id, (role,))
        tz = self.core.settings.timezone

        async def compose(t: Translator, _: int) -> Payload:
            return Payload(t("👤 Someone joined the network as {role}: {new}, with an invitation from {inviter}. They "
                             "can take part in decisions that take two people (removing a coordinator, approving a "
                             "“you said, we did”) from {when}. If you do not know who this is, ask; /team lists "
                             "everyone with a role.",
                             role=t(ROLE[role]), new=await self.named(t, person_id),
                             inviter=await self.named(t, inviter), when=t.when(ready, tz)))

        await self.announce([p for p in await self.staff() if p != person_id], compose)


__all__ = ["TwoPeople", "COORDINATOR", "STAFF"]
