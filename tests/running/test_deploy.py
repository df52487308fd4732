"""What an operator installs from: the hardened unit, pinned versions, every setting documented."""
from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from operator_cli import cli, install
from packaging.requirements import Requirement

from bot.foundations.settings import load_settings

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


def test_a_stuck_bot_is_restarted_by_the_watchdog_and_a_failure_raises_an_alert():
    unit = _unit("waakzaam@.service")
    assert unit["Type"] == ["notify"] and unit["NotifyAccess"] == ["main"]
    assert 30 <= int(unit["WatchdogSec"][0]) <= 120
    assert unit["Restart"] == ["on-failure"] and unit["RestartPreventExitStatus"] == ["2"]
    assert unit["OnFailure"] == ["waakzaam-failed@%n.service"]
    backup = _unit("waakzaam-backup@.service")
    assert backup["OnFailure"] == ["waakzaam-failed@%n.service"]
    alert = _unit("waakzaam-failed@.service")
    assert alert["SyslogLevel"] == ["err"] and any("/etc/waakzaam/on-failure" in line for line in alert["ExecStart"])


HARDENING = ("ProtectSystem", "ProtectHome", "PrivateTmp", "PrivateDevices", "NoNewPrivileges", "CapabilityBoundingSet",
             "AmbientCapabilities", "RestrictSUIDSGID", "ProtectKernelTunables", "ProtectKernelModules",
             "ProtectKernelLogs", "ProtectControlGroups", "ProtectClock", "ProtectHostname", "ProtectProc", "ProcSubset",
             "RestrictNamespaces", "RestrictRealtime", "LockPersonality", "SystemCallArchitectures", "SystemCallFilter",
             "UMask")


def test_the_backup_unit_is_hardened_like_the_bots_and_cut_off_from_the_network():
    unit, backup = _unit("waakzaam@.service"), _unit("waakzaam-backup@.service")
    for key in HARDENING:
        assert backup.get(key) == unit[key], key
    assert backup["PrivateNetwork"] == ["true"] and backup["IPAddressDeny"] == ["any"]
    assert backup["RestrictAddressFamilies"] == ["AF_UNIX"]
    assert backup["ReadWritePaths"] == ["/var/backups/waakzaam/%i /var/lib/waakzaam/%i"]
    # Backups expire by the command (WAAKZAAM_BACKUP_KEEP_DAYS); the unit only sweeps up half-written ones.
    assert backup["ExecStart"] == ["/opt/waakzaam/.venv/bin/waakzaam backup /var/backups/waakzaam/%i"]
    assert all(".partial" in line for line in backup["ExecStartPost"])


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze is not installed")
def test_systemd_accepts_the_units_and_rates_their_exposure(tmp_path):
    names = {"waakzaam@.service": "waakzaam@acme.service", "waakzaam-backup@.service": "waakzaam-backup@acme.service",
             "waakzaam-backup@.timer": "waakzaam-backup@acme.timer",
             "waakzaam-failed@.service": "waakzaam-failed@waakzaam-backup@acme.service.service"}
    for template, name in names.items():  # the program they start is not installed here
        (tmp_path / name).write_text((ROOT / "deploy" / template).read_text().replace(
            "/opt/waakzaam/.venv/bin/waakzaam", "/bin/true"))
    verified = subprocess.run(["systemd-analyze", "verify", "--man=no", *(str(tmp_path / n) for n in names.values())],
                              capture_output=True, text=True, timeout=60)
    assert verified.returncode == 0 and verified.stderr.strip() == "", verified.stderr
    for name, most in (("waakzaam@acme.service", 1.5), ("waakzaam-backup@acme.service", 1.5)):
        rated = subprocess.run(["systemd-analyze", "security", "--offline=true", str(tmp_path / name)],
                               capture_output=True, text=True, timeout=60)
        if "--offline" in rated.stderr:
            pytest.skip("this systemd-analyze cannot rate a unit file offline (systemd < 252)")
        exposure = float(re.search(r"Overall exposure level for \S+: ([0-9.]+)", rated.stdout)[1])
        assert exposure <= most, (name, exposure)


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


def _block_after(text: str, heading: str) -> list[str]:
    """The lines of the first ```sh block after `heading`."""
    rest = text[text.index(heading):]
    block = rest[rest.index("```sh\n") + 6:]
    return [line for line in block[:block.index("```")].splitlines() if line.strip()]


def test_the_restore_on_a_new_server_works_as_deploy_readme_says_word_for_word(tmp_path):
    """Issue 25.4: the steps of "Restore on a new server", followed literally (paths under a folder of
    the test's own, `install` as a copy, systemctl left out), with nothing else done in between."""
    readme = (ROOT / "deploy" / "README.md").read_text()
    steps = _block_after(readme, "**Restore on a new server**")
    assert not any("invite" in line for line in steps if not line.startswith("#"))

    # The old server: a database with people, a backup of it, the key files.
    old = install(tmp_path, "old-server")
    made = cli(old, "invite", "coordinator")
    assert made.returncode == 0, made.stderr
    (tmp_path / "copied-off").mkdir()
    assert cli(old, "backup", str(tmp_path / "copied-off")).returncode == 0
    (backup,) = (tmp_path / "copied-off").iterdir()

    # The new server after section 1 and section 2 up to `waakzaam check`.
    root = tmp_path / "new-server"
    for folder in ("etc/waakzaam/keys/acme", "var/lib/waakzaam/acme", "var/backups/waakzaam/acme"):
        (root / folder).mkdir(parents=True, mode=0o700)
    env = root / "etc" / "waakzaam" / "acme.env"
    settings = "\n".join(_block_after(readme, "In `/etc/waakzaam/acme.env` set at least:"))
    env.write_text((ROOT / ".env.example").read_text() + "\n" + re.sub(r"\s+#.*", "", settings).replace(
        "123456:ABC...", "123456789:AAHtestTokenForOfflineTestsOnly_0123456").replace("=/", f"={root}/")
        + "\nTELEGRAM_API_BASE_URL=http://127.0.0.1:9/bot\n")
    env.chmod(0o600)
    assert cli(env, "check", "--offline").returncode == 0

    sources = {"/path/to/master*.key": sorted((old.parent / "keys").glob("master*.key")),
               f"/path/to/{backup.name}": [backup]}
    for line in steps:
        if line.startswith(("#", "systemctl")):
            continue
        words = line.split()
        if words[0] == "install":
            source = words[-2].replace("waakzaam-20261127-021500.db", backup.name)
            target = root / words[-1].lstrip("/")
            for path in sources[source]:
                shutil.copy(path, target if target.is_dir() else target)
                (target / path.name if target.is_dir() else target).chmod(0o600)
            continue
        assert words[0] == "waakzaam", line
        args = [w.replace("waakzaam-20261127-021500.db", backup.name) for w in words[1:]]
        args = [str(root / a.lstrip("/")) if a.startswith("/var/") else a for a in args]
        done = cli(env, *args)
        assert done.returncode == 0, (line, done.stdout, done.stderr)
        assert "FAIL" not in done.stdout and "--force" not in done.stderr
    db = root / "var" / "lib" / "waakzaam" / "acme" / "waakzaam.db"
    assert sqlite3.connect(db).execute("SELECT role FROM invites").fetchall() == [("coordinator",)]


def test_env_example_holds_only_settings_there_are():
    assert load_settings(ROOT / ".env.example", require_token=False, strict=False).unknown == ()
