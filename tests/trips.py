"""Trips to the database's thread, counted from outside the bot: every one goes through
aiosqlite's Connection._execute (aiosqlite pinned), so counting those calls counts them all,
however the bot made them. With `statements`, SQLite's trace of what ran, too."""
from __future__ import annotations


class Trips:
    def __init__(self, db, *, statements: bool = True) -> None:
        self.db, self.count = db, 0
        self.statements: list[str] = []
        self._trace = statements

    async def __aenter__(self):
        conn = self.db.conn
        passing = conn._execute

        async def counted(fn, *args, **kwargs):
            self.count += 1
            return await passing(fn, *args, **kwargs)

        if self._trace:
            await conn.set_trace_callback(self.statements.append)
        conn._execute = counted
        return self

    async def __aexit__(self, *exc) -> None:
        del self.db.conn._execute  # the class's own again
        if self._trace:
            await self.db.conn.set_trace_callback(None)
