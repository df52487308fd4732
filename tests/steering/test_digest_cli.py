"""`waakzaam digest --preview`: the same text and chart, written locally, nothing sent or recorded."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import hermetic
import launcher
import pytest
from flows import join_as_member

from bot.cli import main

ROOT = Path(__file__).resolve().parents[2]


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = hermetic.environ()
    env |= {"WAAKZAAM_DB": str(tmp_path / "data" / "w.db"), "WAAKZAAM_KEY_FILE": str(tmp_path / "keys" / "k.key"),
            "MPLCONFIGDIR": str(tmp_path / "mpl")}
    return launcher.run([sys.executable, "-m", "bot", "digest", *args], cwd=tmp_path, env=env,
                        capture_output=True, text=True, timeout=120)


def test_the_demo_writes_a_readable_text_and_chart_without_any_real_database(tmp_path):
    out = _cli(tmp_path, "--preview", "--demo", "--week", "2026-W48", "--out", str(tmp_path / "out"), "--lang", "en")
    assert out.returncode == 0, out.stderr
    text = (tmp_path / "out" / "digest-2026-W48-en.txt").read_text(encoding="utf-8")
    png = (tmp_path / "out" / "digest-2026-W48-en.png").read_bytes()
    assert text.startswith("📊 Digest for the steering group, week 48 of 2026")
    for section in ("Reported by the network", "November 2026 so far (1 Nov – 22 Nov 2026), in steps of 5, 10, 20…",
                    "October 2026 (final)", "Q3 2026 (final): ", "The network", "How to read this digest"):
        assert section in text, section
    assert "Suggestion from the network: “Plan the peak weeks" in text
    assert "≈" not in text
    assert png.startswith(b"\x89PNG") and len(png) > 30_000
    assert not (tmp_path / "data").exists() and not (tmp_path / "keys").exists()  # never the real database
    assert "wrote" in out.stdout and "Traceback" not in out.stderr


def test_bad_input_is_one_line(tmp_path, monkeypatch, capsys):
    hermetic.clear(monkeypatch)
    monkeypatch.setenv("WAAKZAAM_DB", str(tmp_path / "data" / "w.db"))
    monkeypatch.setenv("WAAKZAAM_KEY_FILE", str(tmp_path / "keys" / "k.key"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("bot.running.logs.configure", lambda *args: None)  # keep pytest's own log handlers
    assert main(["digest", "--preview", "--week", "week 48"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "ISO week" in err
    assert main(["digest", "--preview"]) == 2
    err = capsys.readouterr().err
    assert "no database" in err and "--demo" in err and not (tmp_path / "data").exists()
    with pytest.raises(SystemExit):
        main(["digest"])
    assert "--preview" in capsys.readouterr().err


async def test_a_preview_of_the_real_database_records_and_sends_nothing(services, people):
    anna = people(201, "Anna")
    await join_as_member(services, anna, "Anna")
    queued = await services.core.db.fetchval("SELECT COUNT(*) FROM outbox")
    published, text, chart = await services.digests.preview("2026-W48", "nl")
    assert published.week == "2026-W48" and "Overzicht voor de stuurgroep, week 48 van 2026" in text
    assert chart is None  # nothing counted yet: no empty chart
    assert await services.core.db.fetchval("SELECT COUNT(*) FROM digests") == 0
    assert await services.core.db.fetchval("SELECT COUNT(*) FROM review_rounds") == 0
    assert await services.core.db.fetchval("SELECT COUNT(*) FROM outbox") == queued
