"""The docs a person opens: the README short and starting with the two commands, every link to a
file that exists, and every path they name in the tree as it is."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", ROOT / "SECURITY.md", ROOT / "CONTRIBUTING.md", ROOT / "deploy" / "README.md",
        *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
# A path in backticks that starts in one of the repository's folders, up to a `:name` or a space.
PATH = re.compile(r"`((?:bot|handlers|tests|charter|deploy|docs|scripts|benchmarks|migrations)/[^`\s:]*)")


def test_the_readme_opens_with_the_two_commands_and_stays_short():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert lines[:4] == ["```", "./scripts/start", "./scripts/test", "```"]
    assert len(lines) <= 160


def test_every_relative_link_points_to_a_file_without_an_anchor():
    broken = []
    for doc in DOCS:
        for target in LINK.findall(doc.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:", target):
                continue  # https:, mailto:
            if "#" in target or not (doc.parent / target).resolve().is_file():
                broken.append(f"{doc.relative_to(ROOT)}: {target}")
    assert len(DOCS) >= 8
    assert broken == []


def test_every_path_the_docs_name_exists():
    missing = []
    for doc in DOCS:
        for path in PATH.findall(doc.read_text(encoding="utf-8")):
            if re.search(r"<|\*|NNN", path):
                # a pattern: charter/charter.<code>.txt, migrations/NNN_what.sql, bot/foundations/storage/*.py
                prefix = re.split(r"<|\*|NNN", path)[0].rsplit("/", 1)[0]
                exists = (ROOT / prefix).is_dir()
            else:
                exists = (ROOT / path.rstrip(".,")).exists()
            if not exists:
                missing.append(f"{doc.relative_to(ROOT)}: {path}")
    assert missing == []
