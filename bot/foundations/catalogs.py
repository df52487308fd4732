"""Catalog upkeep: find every translatable string in the code and sync the .po files.

    python -m bot.foundations.catalogs update       # add new strings, drop unused ones, keep translations
    python -m bot.foundations.catalogs missing      # the strings that lack a translation, as JSON to fill in
    python -m bot.foundations.catalogs fill F.json  # write translations {msgid: {"nl": ..., "fr": ...}}
    python -m bot.foundations.catalogs check        # exit 1 when a string lacks a translation

Strings are found with the `ast` module: calls of `t(...)`, `N_(...)`, `tr(ctx)(...)`
and `Translator(lang)(...)` whose first argument is a literal.
"""
from __future__ import annotations

import ast
import json
import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from .i18n import DOMAIN, LANGUAGES, LOCALES_DIR

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("bot", "handlers")
PLACEHOLDER = re.compile(r"{(\w+)}")


def _is_translation_call(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id in ("t", "N_")
    if isinstance(func, ast.Call) and isinstance(func.func, ast.Name):
        return func.func.id in ("tr", "Translator")
    return False


def extract() -> dict[str, list[tuple[str, int]]]:
    """msgid -> places it is used (file, line)."""
    found: dict[str, list[tuple[str, int]]] = {}
    for folder in SOURCES:
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Call)
                    and _is_translation_call(node.func)
                    and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)
                ):
                    rel = str(path.relative_to(ROOT))
                    found.setdefault(node.args[0].value, []).append((rel, node.lineno))
    return found


def _po_path(lang: str) -> Path:
    return LOCALES_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def read(lang: str) -> Catalog:
    path = _po_path(lang)
    if not path.exists():
        return Catalog(locale=lang, domain=DOMAIN)
    with open(path, "rb") as handle:
        return read_po(handle, locale=lang)


def update() -> None:
    messages = extract()
    for lang in LANGUAGES:
        old = read(lang)
        # Keep the header's dates: a sync that changes no string changes no file.
        new = Catalog(locale=lang, domain=DOMAIN, project="waakzaam", version="1", fuzzy=False,
                      creation_date=old.creation_date, revision_date=old.revision_date,
                      last_translator="Waakzaam team", language_team=lang)
        for msgid, places in sorted(messages.items()):
            existing = old.get(msgid)
            string = existing.string if existing is not None and existing.string else ""
            if lang == "en":
                string = msgid  # English is the source language
            new.add(msgid, string, locations=places)
        path = _po_path(lang)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as handle:
            write_po(handle, new, width=100, sort_output=True, include_lineno=False)


def problems() -> list[str]:
    """Every missing translation or placeholder mismatch, as readable lines."""
    found = []
    messages = extract()
    for lang in LANGUAGES:
        catalog = read(lang)
        for msgid in messages:
            message = catalog.get(msgid)
            if message is None or not message.string:
                found.append(f"{lang}: missing translation for {msgid!r}")
            elif set(PLACEHOLDER.findall(msgid)) != set(PLACEHOLDER.findall(message.string)):
                found.append(f"{lang}: placeholders differ in {msgid!r}")
    return found


def missing() -> dict[str, dict[str, str]]:
    """msgid -> {lang: ""} for every translation still to write."""
    todo: dict[str, dict[str, str]] = {}
    messages = extract()
    for lang in LANGUAGES:
        if lang == "en":
            continue
        catalog = read(lang)
        for msgid in messages:
            message = catalog.get(msgid)
            if message is None or not message.string:
                todo.setdefault(msgid, {})[lang] = ""
    return todo


def fill(translations: dict[str, dict[str, str]]) -> None:
    """Write the given translations into the catalogs (after `update`)."""
    for lang in LANGUAGES:
        if lang == "en":
            continue
        catalog = read(lang)
        for msgid, texts in translations.items():
            if texts.get(lang) and (message := catalog.get(msgid)) is not None:
                message.string = texts[lang]
        with open(_po_path(lang), "wb") as handle:
            write_po(handle, catalog, width=100, sort_output=True, include_lineno=False)


def main(argv: list[str]) -> int:
    if argv[:1] == ["update"]:
        update()
        return 0
    if argv[:1] == ["missing"]:
        print(json.dumps(missing(), ensure_ascii=False, indent=1))
        return 0
    if argv[:1] == ["fill"] and len(argv) == 2:
        update()
        fill(json.loads(Path(argv[1]).read_text(encoding="utf-8")))
        return 0
    if argv[:1] == ["check"]:
        issues = problems()
        print("\n".join(issues) or "catalogs complete")
        return 1 if issues else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
