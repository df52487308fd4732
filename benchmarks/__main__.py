"""Every figure of issue 14, one JSON line each (name, value, unit, target, met, command).

    .venv/bin/python -m benchmarks            # everything (the 1M-case database: several minutes)
    .venv/bin/python -m benchmarks --quick    # under a minute: fewer samples, 100k cases at most
    .venv/bin/python -m benchmarks --only relay,sweep

Figures: relay (rate, p50, p99, against the floor: a bare PTB echo bot plus the durable commits a
relay needs, in the same run), burst (50 people writing at once, 100 updates a getUpdates), claim, fanout
(an offer to 50 listeners), sweep (100,000 open requests), digest (10k, 100k, 1M closed cases,
and the solver's import by a process's first digest), start and memory (the bot process on the
large database, and what a digest adds), e2e (through the Bot API emulator, next to the bare
echo bot: Waakzaam as deployed, and without its rate limiter, like for like; needs
`npm ci --prefix tests/e2e/emulator`). Asserts nothing.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from . import endtoend, history, live, sweep
from .common import figure

import hermetic  # noqa: E402,I001  tests/, on the path through .common

PARTS = {
    "relay": live.relay,
    "burst": live.burst,
    "claim": live.claim,
    "fanout": live.fanout,
    "sweep": sweep.sweep,
    "digest": history.digest,
    "start": history.process,   # start to ready and memory come from one run of the process
    "e2e": endtoend.endtoend,
}
ALIASES = {"memory": "start"}


async def main(quick: bool, only: list[str]) -> int:
    failed = 0
    for name in only:
        try:
            await PARTS[name](quick)
        except Exception as exc:  # noqa: BLE001 - one broken part must not hide the others
            figure(f"{name}.error", None, "", note=f"{exc.__class__.__name__}: {exc}"[:500])
            failed += 1
    return failed


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer samples and smaller databases: under a minute")
    parser.add_argument("--only", default=",".join(PARTS), help=f"comma-separated, of: {', '.join(PARTS)}, memory")
    args = parser.parse_args()
    chosen = list(dict.fromkeys(ALIASES.get(n.strip(), n.strip()) for n in args.only.split(",") if n.strip()))
    unknown = [n for n in chosen if n not in PARTS]
    if unknown:
        parser.error(f"unknown figure: {', '.join(unknown)}")
    logging.disable(logging.WARNING)  # the charter's placeholder warning, at every start
    # The bots started here read no developer's `.env` and no WAAKZAAM_* of the shell, as in the tests:
    # each figure comes from the settings its benchmark gives (an access code there once broke two).
    hermetic.isolate()
    sys.exit(asyncio.run(main(args.quick, chosen)))
