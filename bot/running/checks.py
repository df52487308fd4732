"""`waakzaam check`: is this installation ready to run? One finding per line, nothing changed.

Each finding is OK, WARN (runs, but someone should act) or FAIL (blocks running). The Bot API
check is the CLI's (it speaks Telegram); everything here reads files only.
"""
from __future__ import annotations

import os
import sqlite3
import stat
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.foundations.charter import Charter, CharterError
from bot.foundations.crypto import (
    DecryptionError,
    KeyFileError,
    Vault,
    key_path,
    key_versions_on_disk,
    read_key_file,
)
from bot.foundations.i18n import LANGUAGES
from bot.foundations.settings import Settings, env_file_warning
from bot.foundations.storage import files
from bot.foundations.storage.meta import KEY_CHECK_NAME
from bot.foundations.storage.migrations import MigrationError, discover

from . import backups
from .liveness import read_alive
from .lock import DatabaseLock
from .startup import creation_refused

OK, WARN, FAIL = "OK", "WARN", "FAIL"
# The referrals the charter's people rely on: employees must not be told about the bot before
# these have real contacts (DOMAIN: company doctor, prevention adviser, confidential counsellor).
ESSENTIAL_REFERRALS = ("company_doctor", "prevention_advisor", "confidential_counsellor")


@dataclass(frozen=True)
class Finding:
    level: str
    text: str

    def __str__(self) -> str:
        return f"{self.level:<4} {self.text}"


def placeholder_referrals(charter: Charter) -> list[str]:
    """Keys of referral entries whose contact is still a TODO placeholder."""
    return [r.key for r in charter.referrals if r.incomplete]


def placeholder_warning(keys: list[str]) -> str:
    essential = [k for k in keys if k in ESSENTIAL_REFERRALS]
    text = (f"charter/referrals.toml: {', '.join(keys)} still {'has' if len(keys) == 1 else 'have'} a TODO contact "
            "and stay hidden from people until filled in")
    if essential:
        text += "; fill in the company doctor, the prevention advisor and the confidential counsellor before " \
                "employees are told about the bot"
    return text


def check(settings: Settings, *, live: bool = False) -> list[Finding]:
    found: list[Finding] = []
    found += _settings(settings)
    keys, key_problem = _keys(settings, found)
    found += _restore(settings)
    found += _database(settings, keys, key_problem)
    found += _copies(settings)
    found += _charter()
    found += _mode(settings)
    if live:
        found += _live(settings)
    return found


def _restore(settings: Settings) -> list[Finding]:
    """An interrupted restore blocks nothing the bot's start cannot mend: `run` (and `restore
    --resume`) finishes or undoes it under the lock before anything else, so under systemd the
    start check must let that start through; only what the start could not mend is a FAIL."""
    journal = backups.pending_restore(settings.db_path)
    if journal is None:
        return []
    what = f"a restore of {journal.source} was interrupted"
    mends = "the bot's next start (or `waakzaam restore --resume`)"
    if not os.access(journal.db.parent, os.W_OK):
        return [Finding(FAIL, f"{what}, and {mends} cannot finish or undo it: this user may not write in "
                              f"{journal.db.parent}")]
    if journal.stage != "ready":
        return [Finding(WARN, f"{what} before it changed anything: {mends} undoes it, and the database stays as it "
                              "was; then run the restore again")]
    if journal.incoming.exists():
        return [Finding(WARN, f"{what} after the backup was copied, brought up to date and checked: {mends} puts "
                                   "it in place")]
    if journal.db.exists():
        return [Finding(WARN, f"{what} after it had put the backup in place: {mends} removes what it left")]
    return [Finding(FAIL, f"{what}, and neither the database nor the backup's copy {journal.incoming} is there: "
                          "run the restore again")]


def _copies(settings: Settings) -> list[Finding]:
    """The copies beside the database (before an upgrade, before a restore): they hold what was
    erased since, until they expire."""
    found = []
    now = datetime.now(UTC)
    for copy in backups.copies_beside(settings.db_path):
        age = (now - backups.made_at(copy)).days
        left = settings.backup_keep_days - age
        found.append(Finding(OK, f"copy {copy} ({age} days old): removed in {max(left, 0)} days "
                                 "(WAAKZAAM_BACKUP_KEEP_DAYS); until then it holds what was erased since it was made"))
    if partials := [p for p in settings.db_path.parent.glob(f"{settings.db_path.name}*.partial")] \
            if settings.db_path.parent.is_dir() else []:
        found.append(Finding(WARN, f"{len(partials)} half-written copy file(s) beside the database "
                                   f"({partials[0].name}); the next start removes them"))
    return found


def _live(settings: Settings) -> list[Finding]:
    """Is the running bot working? Its heartbeat file (bot/running/liveness.py), in either mode."""
    holder = DatabaseLock(settings.db_path).held_elsewhere()
    if holder is None:
        return [Finding(FAIL, "live: the bot is not running")]
    alive = read_alive(settings.db_path)
    if alive is None or f"pid {alive.pid})" not in holder:
        return [Finding(FAIL, f"live: {holder} holds the database but writes no heartbeat: still starting, "
                              "stuck at start, or an older release")]
    loops = ", ".join(f"{loop} {'not yet' if ago is None else f'{ago:.0f} s ago'}"
                      for loop, ago in alive.seconds_since.items())
    if alive.stale:
        return [Finding(FAIL, f"live: the bot (pid {alive.pid}) is stuck: its heartbeat is {alive.age:.0f} s old "
                              f"(last: {loops})")]
    if alive.late:
        return [Finding(FAIL, f"live: the bot (pid {alive.pid}, {alive.mode}) runs, but {', '.join(alive.late)} "
                              f"stopped moving ({loops}); under systemd the watchdog restarts it")]
    return [Finding(OK, f"live: the bot (pid {alive.pid}, {alive.mode}) is working: {loops}")]


def _settings(settings: Settings) -> list[Finding]:
    found = []
    if settings.env_file:
        found.append(Finding(OK, f"settings read from {settings.env_file} and the environment"))
        if warning := env_file_warning(settings.env_file):
            found.append(Finding(WARN, warning))
    else:
        found.append(Finding(OK, "settings from the environment only (no .env file)"))
    found += [Finding(FAIL, line) for line in settings.unknown]
    if not settings.token:
        found.append(Finding(FAIL, "TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather (/newbot) and put its "
                                   "token in .env"))
    return found


def _keys(settings: Settings, found: list[Finding]) -> tuple[dict[int, bytes], bool]:
    keys: dict[int, bytes] = {}
    problem = False
    for version, path in key_versions_on_disk(settings.key_file).items():
        try:
            key = read_key_file(path)
        except KeyFileError as exc:
            found.append(Finding(FAIL, str(exc)))
            problem = True
            continue
        if key is not None:
            keys[version] = key
            found.append(Finding(OK, f"key file {path} (key version {version}): mode 600, owned by this user, "
                                     "folder closed to others"))
    if not keys and not problem:
        found.append(Finding(WARN, f"no key file at {settings.key_file}; the first start creates it (then back it up "
                                   "apart from the database)"))
    return keys, problem


def _database(settings: Settings, keys: dict[int, bytes], key_problem: bool) -> list[Finding]:
    path = settings.db_path
    if not path.exists():
        if backups.pending_restore(path) is not None:
            return []  # the interrupted restore is the finding
        if problem := creation_refused(settings):
            return [Finding(FAIL, problem)]
        return [Finding(WARN, f"no database yet at {path}; the first start (or `waakzaam invite coordinator`) creates "
                              "it")]
    found = []
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        found.append(Finding(WARN, f"the database {path} can be read by others (mode {mode:o}); run: chmod 600 {path}"))
    try:
        inspection = files.inspect(path, listeners=True)
    except sqlite3.DatabaseError as exc:
        return found + [Finding(FAIL, f"{path} cannot be read as a database: {files.trouble(exc, path)}")]
    if inspection.integrity == ["ok"]:
        found.append(Finding(OK, f"database {path}: integrity check ok"))
    else:
        found.append(Finding(FAIL, f"database {path}: the integrity check says {inspection.integrity[0]!r}; "
                                   "restore the latest backup (waakzaam restore)"))
    if inspection.foreign_key_problems:
        found.append(Finding(FAIL, f"database: {inspection.foreign_key_problems} broken references (foreign keys)"))
    else:
        found.append(Finding(OK, "database: every reference (foreign key) holds"))
    found += _key_fits(settings, inspection, keys, key_problem)
    found += _schema(inspection)
    if inspection.rotation is not None:
        found.append(Finding(FAIL, f"a key rotation to key version {inspection.rotation} was interrupted: run "
                                   "`waakzaam rotate-key` again to finish it"))
    holder = DatabaseLock(path).held_elsewhere()
    found.append(Finding(OK, f"the database is in use by {holder}" if holder else "the bot is not running"))
    found += _listeners(settings, inspection)
    return found


def _key_fits(settings: Settings, inspection: files.Inspection, keys: dict[int, bytes],
              key_problem: bool) -> list[Finding]:
    if inspection.key_check is None:
        return [Finding(WARN, "the database has no key check yet; the next start adds it")] if inspection.has_tables \
            else []
    active = inspection.key_check[0]
    if active not in keys:
        level = FAIL
        return [Finding(level, f"the key file {key_path(settings.key_file, active)} (key version {active}) is "
                               f"{'not usable' if key_problem else 'missing'}; without it the database cannot be read")]
    try:
        Vault.from_master_keys(keys, active).open_bytes("meta", "value", KEY_CHECK_NAME, inspection.key_check)
    except DecryptionError:
        return [Finding(FAIL, f"the key in {key_path(settings.key_file, active)} does not open this database; use "
                              "the key file that was made with it")]
    newer = sorted(v for v in keys if v > active)
    if newer:
        found = [Finding(WARN, f"key version {active} opens this database, but it is retired: key version "
                               f"{newer[-1]} ({key_path(settings.key_file, newer[-1])}) was made by a later rotation "
                               "(a restore of an older backup?); run `waakzaam rotate-key` with the bot stopped")]
    else:
        found = [Finding(OK, f"key version {active} opens this database; it is the key version in use, the newest")]
    if older := sorted(v for v in keys if v < active):
        found.append(Finding(OK, "older key file(s) " + ", ".join(str(key_path(settings.key_file, v)) for v in older)
                             + " are retired: not used by this database; keep them while backups made before the "
                               "last key rotation may be restored, then remove them"))
    return found


def _schema(inspection: files.Inspection) -> list[Finding]:
    try:
        latest = len(discover())
    except MigrationError as exc:
        return [Finding(FAIL, f"migrations/: {exc}")]
    if inspection.schema_version > latest:
        return [Finding(FAIL, f"the database is at schema version {inspection.schema_version}, newer than this code "
                              f"({latest}): run the newer release, or restore a backup made with this one")]
    if inspection.schema_version < latest:
        return [Finding(WARN, f"{latest - inspection.schema_version} migration(s) pending (schema "
                              f"{inspection.schema_version} to {latest}): the next start applies them, after an "
                              "automatic backup beside the database")]
    return [Finding(OK, f"database schema version {latest}, as this code expects")]


def _listeners(settings: Settings, inspection: files.Inspection) -> list[Finding]:
    now = datetime.now(UTC).isoformat(timespec="seconds")
    members = [m for m in inspection.listeners if not m["paused_until"] or m["paused_until"] <= now]
    paused = len(inspection.listeners) - len(members)
    if not inspection.listeners:
        return [Finding(WARN, "no listeners yet: invite a coordinator (waakzaam invite coordinator), who invites "
                              "the listeners")]
    parts = []
    for name, label in (("gender", "gender"), ("age_band", "age"), ("status", "status"),
                        ("languages", "languages"), ("department", "departments")):
        counts = files.count_profiles(members, name)
        parts.append(f"{label}: " + (", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "none"))
    level = OK if len(members) >= settings.min_available else WARN
    found = [Finding(level, f"listeners: {len(members)} available, {paused} paused; " + "; ".join(parts))]
    if level == WARN:
        found.append(Finding(WARN, f"fewer than {settings.min_available} listeners available "
                                   "(WAAKZAAM_MIN_AVAILABLE): requests may wait"))
    spoken = files.count_profiles(members, "languages")
    for lang in LANGUAGES:
        if not spoken.get(lang):
            found.append(Finding(WARN, f"no available listener speaks {lang}: such requests go to others only if "
                                       "the requester allows it"))
    return found


def _charter() -> list[Finding]:
    try:
        charter = Charter.load()
    except CharterError as exc:
        return [Finding(FAIL, str(exc))]
    found = [Finding(OK, f"charter/ read: {len(charter.referrals)} referrals, {len(charter.themes)} themes, "
                         f"{len(charter.emergency)} emergency lines")]
    if keys := placeholder_referrals(charter):
        found.append(Finding(WARN, placeholder_warning(keys)))
    return found


def _mode(settings: Settings) -> list[Finding]:
    if settings.webhook_url:
        secret = "a fixed secret token" if settings.webhook_secret else "a new random secret token at every start"
        return [Finding(OK, f"webhook mode: Telegram posts to {settings.webhook_url}; the bot listens on "
                            f"{settings.webhook_listen}:{settings.webhook_port} with {secret}")]
    return [Finding(OK, "polling mode (set WAAKZAAM_WEBHOOK_URL or use run --webhook URL for webhook mode)")]


