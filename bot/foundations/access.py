"""Who is talking: a person for each Telegram user (kept as a keyed hash), their language,
and the employee access code when the organisation set one."""
from __future__ import annotations

import hmac

from .core import Core
from .menus import Menus
from .model import Person, Result


class Access:
    def __init__(self, core: Core, menus: Menus) -> None:
        self.core = core
        self.menus = menus

    async def identify(self, user_id: int, chat_id: int, language: str) -> Person:
        """The person for this Telegram user, created on first contact."""
        return await self.core.people.ensure(user_id, chat_id, language)

    async def find(self, user_id: int) -> Person | None:
        """The person for this Telegram user, if the bot knows them (nobody is created)."""
        return await self.core.people.find(user_id)

    async def refresh(self, person: Person) -> Person:
        return await self.core.people.get(person.id) or person

    async def needs_code(self, person: Person) -> bool:
        """Employees give the access code once; people with a role never do."""
        if self.core.settings.access_code is None or person.access_granted or person.roles:
            return False
        member = await self.core.members.by_person(person.id)
        return member is None or member.left  # a listener who left asks like anyone

    async def give_code(self, person: Person, code: str) -> Result:
        expected = self.core.settings.access_code or ""
        if not hmac.compare_digest(code.strip().encode(), expected.encode()):
            return Result.INVALID
        await self.core.people.grant_access(person.id)
        return Result.OK

    async def set_language(self, person: Person, code: str) -> Person:
        async with self.core.db.transaction():
            await self.core.people.set_language(person.id, code)
            member = await self.core.members.by_person(person.id)
            if person.roles or (member is not None and member.active):
                await self.menus.refresh(person.id)  # their own menu, in the new language
        return await self.refresh(person)
