"""What an operator installs from: the hardened unit, pinned versions, every setting documented."""
from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]


def _unit(name: str) -> dict[str, list[str]]:
    options: dict[str, list[str]] = {}
    for line in (ROOT / "deploy" / name).read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            options.setdefault(key.strip(), []).append(value.strip())
    return options


def test_the_unit_is_hardened_and_writes_only_its_data_folder():
    unit = _unit("waakzaam@.service")
    for key, value in {"ProtectSystem": "strict", "ProtectHome": "true", "PrivateTmp": "true",
                       "NoNewPrivileges": "true", "CapabilityBoundingSet": "", "User": "waakzaam",
                       "StateDirectory": "waakzaam/%i", "StateDirectoryMode": "0700", "UMask": "0077",
                       "RestrictSUIDSGID": "true", "PrivateDevices": "true"}.items():
        assert unit[key] == [value], key
    assert "ReadWritePaths" not in unit  # the state directory is the only writable place
    assert unit["ExecStart"] == ["/opt/waakzaam/.venv/bin/waakzaam run"]
    assert unit["Environment"][0] == "WAAKZAAM_ENV_FILE=/etc/waakzaam/%i.env"


def _closure() -> set[str]:
    """Every distribution that installing waakzaam with its test extra brings in."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    todo = [Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["test"]]
    seen: set[str] = set()
    while todo:
        requirement = todo.pop()
        name = requirement.name.lower().replace("_", "-")
        if name in seen:
            continue
        seen.add(name)
        for raw in metadata.requires(requirement.name) or []:
            sub = Requirement(raw)
            environments = [{"extra": extra} for extra in (requirement.extras or {""})]
            if sub.marker is None or any(sub.marker.evaluate(env) for env in environments):
                todo.append(sub)
    return seen


def test_constraints_pin_every_package_that_gets_installed():
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, sep, version = line.partition("==")
            assert sep and version, line
            pins[name.lower().replace("_", "-")] = version
    needed = _closure()
    assert needed - set(pins) == set()
    for name in needed:
        assert metadata.version(name) == pins[name], name  # this environment was installed from them
    assert "-c constraints.txt" in (ROOT / "scripts" / "_setup.sh").read_text()


def test_every_setting_is_in_env_example_and_the_operators_guide():
    names = set(re.findall(r'"((?:WAAKZAAM|TELEGRAM)_[A-Z_]+)"', (ROOT / "bot" / "foundations" / "settings.py").read_text()))
    assert len(names) > 25
    example = (ROOT / ".env.example").read_text()
    readme = (ROOT / "docs" / "running.md").read_text()
    for name in names - {"WAAKZAAM_ENV_FILE"}:
        assert re.search(rf"^{name}=", example, re.M), name
    for name in names:
        assert f"`{name}`" in readme, name
