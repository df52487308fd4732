"""The house rules, checked on the source: packages by who they serve with imports only downward,
no import circles, no imports hidden in functions, Telegram only at the edge, SQL only in the
repositories, one list of languages."""
from __future__ import annotations

import ast
import functools
import re
import tomllib
from pathlib import Path

from bot.foundations.charter import DEFAULT_FOLDER
from bot.foundations.i18n import LANGUAGES, LOCALES_DIR

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "handlers")
# Where Telegram may be spoken: the factory, the sender, the shell command, the handlers.
TELEGRAM_EDGE = {"bot.app", "bot.running.sender", "bot.cli", "bot.running.inbox", "bot.running.webhook",
                 "bot.running.faults"}
SQL = re.compile(r"^\s*(SELECT\b.*\bFROM\b|INSERT\s+(OR\s+\w+\s+)?INTO\b|UPDATE\s+\w+\s+SET\b|DELETE\s+FROM\b"
                 r"|CREATE\s+(UNIQUE\s+)?(TABLE|INDEX)\b|ALTER\s+TABLE\b|PRAGMA\s+\w+|BEGIN\b|COMMIT\b)", re.S)


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = _modules()


@functools.cache
def _tree(path: Path) -> ast.Module:
    """A source file's syntax tree, parsed once for all the rules (none changes it)."""
    return ast.parse(path.read_text(encoding="utf-8"))


def _resolve(module: str, node: ast.ImportFrom | ast.Import, is_package: bool) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = module.split(".") if is_package else module.split(".")[:-1]
    if node.level:
        base = base[: len(base) - (node.level - 1)]
        prefix = ".".join(base + ([node.module] if node.module else []))
    else:
        prefix = node.module or ""
    # `from pkg import name` imports the submodule `pkg.name` when there is one, else from pkg.
    return [f"{prefix}.{alias.name}" if f"{prefix}.{alias.name}" in MODULES else prefix for alias in node.names]


def _imports(module: str, path: Path, *, top_level: bool) -> set[str]:
    tree = _tree(path)
    nodes = tree.body if top_level else [n for n in ast.walk(tree)]
    found = set()
    for node in nodes:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.update(_resolve(module, node, path.name == "__init__.py"))
    return found


def _project(names: set[str]) -> set[str]:
    return {name for name in names if name in MODULES}


# The wings of the bot, lowest first. A module may import from its own layer or any layer below,
# never above (bot/__init__.py and each package's docstring say the same in words).
LAYERS = (
    ("bot.foundations",),
    ("bot.network",),
    ("bot.conversation",),
    ("bot.steering",),
    ("bot.services",),
    ("bot.running",),
    ("handlers",),
    ("bot.app", "bot.cli", "bot.__main__"),
)


def _layer(module: str) -> int | None:
    for rank, prefixes in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return rank
    return None


def test_every_module_has_a_place_in_the_layers():
    assert sorted(m for m in MODULES if _layer(m) is None) == ["bot"]


def test_imports_only_run_downward():
    upward = []
    for module, path in MODULES.items():
        here = _layer(module)
        for target in _project(_imports(module, path, top_level=False)):
            there = _layer(target)
            if here is not None and there is not None and there > here:
                upward.append(f"{module} -> {target}")
    assert upward == []


def test_no_import_inside_a_function_between_project_modules():
    offenders = []
    for module, path in MODULES.items():
        tree = _tree(path)
        for func in ast.walk(tree):
            if isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for node in ast.walk(func):
                    if isinstance(node, (ast.Import, ast.ImportFrom)):
                        names = _project(set(_resolve(module, node, path.name == "__init__.py")))
                        if names or (isinstance(node, ast.ImportFrom) and node.level):
                            offenders.append(f"{module}:{node.lineno}")
    assert offenders == []


def test_the_import_graph_has_no_circle():
    graph = {m: _project(_imports(m, p, top_level=True)) - {m} for m, p in MODULES.items()}
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                raise AssertionError("import circle: " + " -> ".join(path[path.index(target):] + [target]))
            if target not in state:
                visit(target)
        path.pop()
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)


def test_telegram_only_at_the_edge():
    speaking = {m for m, p in MODULES.items()
                if any(name == "telegram" or name.startswith("telegram.")
                       for name in _imports(m, p, top_level=False))}
    domain = {m for m in speaking if m.startswith("bot") and m not in TELEGRAM_EDGE}
    assert domain == set()


def test_handlers_reach_the_domain_not_the_repositories():
    reaching = {m for m, p in MODULES.items() if m.startswith("handlers")
                and any(name.startswith("bot.foundations.storage") for name in _imports(m, p, top_level=False))}
    assert reaching == set()
    through_core = [f"{m}:{node.lineno}" for m, p in MODULES.items() if m.startswith("handlers")
                    for node in ast.walk(_tree(p))
                    if isinstance(node, ast.Attribute) and node.attr == "core"]
    assert through_core == []


def test_sql_only_in_the_repositories():
    offenders = []
    for module, path in MODULES.items():
        if module.startswith("bot.foundations.storage"):
            continue
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.match(node.value):
                offenders.append(f"{module}:{node.lineno}")
    assert offenders == []


def test_one_list_of_languages_covered_by_every_catalog_and_charter_file():
    assert sorted(p.name for p in LOCALES_DIR.iterdir() if p.is_dir()) == sorted(LANGUAGES)
    assert sorted(p.name.split(".")[1] for p in DEFAULT_FOLDER.glob("charter.*.txt")) == sorted(LANGUAGES)
    urgency = tomllib.loads((DEFAULT_FOLDER / "urgency.toml").read_text(encoding="utf-8"))
    assert sorted(urgency) == sorted(LANGUAGES)
    for toml in sorted(DEFAULT_FOLDER.glob("*.toml")):
        text = toml.read_text(encoding="utf-8")
        # Every translated field names the languages as keys: label.nl, name.fr, ...
        used = set(re.findall(r"^\s*\w+\.(\w\w)\s*=", text, re.M))
        assert used <= set(LANGUAGES), (toml.name, used)
        if used:
            assert used == set(LANGUAGES), (toml.name, used)


def test_every_button_code_is_built_by_one_module():
    """Callback data is only written in bot/foundations/callbacks.py: no f"claim:{ref}" anywhere else."""
    code_shape = re.compile(r"^[a-z]+:(\{|$)|^[a-z]+:[a-z]+:\{")
    offenders = []
    for module, path in MODULES.items():
        if module == "bot.foundations.callbacks":
            continue
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
                head = str(node.values[0].value)
                if len(node.values) > 1 and re.fullmatch(r"[a-z]+:(?:[a-z]+:)?", head):
                    offenders.append(f"{module}:{node.lineno}")
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and code_shape.match(node.value):
                offenders.append(f"{module}:{node.lineno}")
    assert offenders == []


def test_every_test_security_md_names_exists():
    text = (ROOT / "SECURITY.md").read_text(encoding="utf-8")
    named = re.findall(r"`((?:e2e/)?test_\w+\.py)(?:::(\w+))?`", text)
    named += [(f, t) for f, t in re.findall(r"`(?:(test_\w+\.py))?::(test_\w+)`", text) if f]
    assert len(named) > 15
    def find(file: str) -> Path:
        found = sorted((ROOT / "tests").rglob(Path(file).name))
        assert len(found) == 1, file  # one test file of that name, in the folder of the part it tests
        return found[0]

    for file, test in named:
        path = find(file)
        if test:
            assert re.search(rf"def {test}\(", path.read_text(encoding="utf-8")), f"{file}::{test}"
    # "::name" right after another test refers to the same file
    for file, rest in re.findall(r"`((?:e2e/)?test_\w+\.py)::\w+`((?:, `::\w+`)+)", text):
        for test in re.findall(r"`::(\w+)`", rest):
            assert re.search(rf"def {test}\(", find(file).read_text(encoding="utf-8")), test


_SAYING = re.compile(r"\.(send_message|send_photo|send_document|edit_message_text|edit_message_reply_markup"
                     r"|edit_message_caption|reply_text|reply_html|reply_markdown|answer_callback_query"
                     r"|delete_message|set_message_reaction|_post|do_api_request)\(|query\.answer\(")


def test_handlers_say_things_only_through_ui():
    """One way out: a handler never calls Telegram to say something. What it says goes through
    handlers/ui.py into the outbox, keyed by the update, and leaves once the handling is committed."""
    saying = [f"{module}:{number}" for module, path in MODULES.items()
              if module.startswith("handlers") and module != "handlers.ui"
              for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
              if _SAYING.search(line)]
    assert saying == []


# Left for their owners, who are rewriting them (review 1, C4): remove each as it moves to the calendar.
HAND_ROLLED_DAYS_LEFT = {"bot.steering.digest.schedule"}


def test_the_organisations_day_of_an_instant_is_taken_in_one_place():
    """`calendar.date_of(moment)`, never `moment.astimezone(zone).date()` by hand (issue 19)."""
    found = set()
    for module, path in MODULES.items():
        if module == "bot.foundations.calendar":
            continue
        for node in ast.walk(_tree(path)):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "date"
                    and isinstance(node.func.value, ast.Call) and isinstance(node.func.value.func, ast.Attribute)
                    and node.func.value.func.attr == "astimezone"):
                found.add(module)
    assert found == HAND_ROLLED_DAYS_LEFT
