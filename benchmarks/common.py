"""What every benchmark shares: one JSON line per figure, percentiles, a throw-away bot."""
from __future__ import annotations

import json
import statistics
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for folder in (ROOT, ROOT / "tests"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from bot.foundations.settings import Settings  # noqa: E402

TOKEN = "123456789:AAHbenchmarkTokenForOfflineRunsOnly_012"
COMMAND = ".venv/bin/python -m benchmarks"


def figure(name: str, value: float | None, unit: str, target: str | None = None, met: bool | None = None,
           command: str | None = None, **extra) -> dict:
    """Print one figure as a JSON line (and return it)."""
    line = {"name": name, "value": None if value is None else round(value, 3), "unit": unit,
            "target": target, "met": met, "command": command or f"{COMMAND} --only {name.split('.')[0]}", **extra}
    print(json.dumps(line, ensure_ascii=False), flush=True)
    return line


def p(samples: list[float], q: float) -> float:
    """The q-quantile (0..1) of samples, nearest rank."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def settings_in(folder: Path, **changes) -> Settings:
    return replace(Settings(token=TOKEN, db_path=folder / "data" / "w.db", key_file=folder / "keys" / "m.key",
                            departments=("Production", "Logistics", "Office")), **changes)
