"""How fast does `waakzaam rotate-key` re-seal? Prints figures; asserts nothing.

    .venv/bin/python benchmarks/rotation.py [people]

Each person brings three sealed values (chat id, language, a draft) and a keyed id hash; the
rotation runs in-process in the default batches of 500, on SQLite with synchronous=FULL.
"""
from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from bot.foundations.settings import Settings  # noqa: E402
from bot.foundations.storage.sealed import insert_sealed  # noqa: E402
from bot.running.key_rotation import rotate  # noqa: E402
from bot.running.startup import open_core  # noqa: E402


async def main(people: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(token="123456789:AAHbenchmarkTokenForOfflineRunsOnly_012",
                            db_path=Path(tmp) / "data" / "w.db", key_file=Path(tmp) / "keys" / "m.key")
        core = await open_core(settings)
        async with core.db.transaction():
            for n in range(people):
                person = await core.people.ensure(700_000_000 + n, 700_000_000 + n, "nl")
                await insert_sealed(core.db, core.vault, "drafts", {"person_id": person.id, "created_at": "2026-01-01"},
                                    {"body": "a draft of some length, as people write them " * 3})
        await core.close()
        core = await open_core(settings, rotating=True)
        started = time.perf_counter()
        done = await rotate(core)
        seconds = time.perf_counter() - started
        await core.close()
        print(f"{done.resealed} values re-sealed and {done.rekeyed} id hashes re-keyed in {seconds:.2f} s: "
              f"{1000 * seconds / done.resealed * 1000:.0f} ms per 1,000 values (hashes included), "
              f"{done.resealed / seconds:.0f} values a second")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000))
