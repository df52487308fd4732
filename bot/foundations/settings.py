"""Settings from the environment and an optional `.env` file.

Every problem is reported as one `SettingsError` line that names the setting and
says how to fix it; the CLI prints that line and exits, never a traceback.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

from .i18n import LANGUAGES

OFFICIAL_API = "https://api.telegram.org/bot"
_TOKEN_SHAPE = re.compile(r"^\d{5,}:[A-Za-z0-9_-]{30,}$")
# The repository folder: the code, charter/ and migrations/ live here, and so does `.env` by
# default. Relative paths in the settings are taken from the folder of the `.env` file in use
# (this folder unless WAAKZAAM_ENV_FILE names another), so every command finds the same
# database and key from whatever folder it is started.
PROJECT_DIR = Path(__file__).resolve().parents[2]
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
LOG_FORMATS = ("text", "json")
_SECRET_SHAPE = re.compile(r"^[A-Za-z0-9_-]{16,256}$")
WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
_DIGEST_AT = re.compile(r"^(MON|TUE|WED|THU|FRI|SAT|SUN)[A-Z]*\s+(\d{1,2}):(\d{2})$")


class SettingsError(Exception):
    """A setting is missing or malformed; the message is meant for the operator."""


def _default_key_file() -> Path:
    # Outside the project folder on purpose: the key must never sit beside the database.
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "waakzaam" / "master.key"


@dataclass(frozen=True)
class Settings:
    token: str = field(repr=False)  # never in a repr, a log line or a traceback
    api_base_url: str = OFFICIAL_API
    db_path: Path = Path("data/waakzaam.db")
    key_file: Path = field(default_factory=_default_key_file)
    timezone: ZoneInfo = ZoneInfo("Europe/Brussels")
    access_code: str | None = None
    default_language: str = "nl"
    departments: tuple[str, ...] = ("Production", "Maintenance", "Logistics", "Office", "Sales")
    emergency_countries: tuple[str, ...] = ("BE", "NL")
    contact_deadline: timedelta = timedelta(hours=24)
    invite_ttl: timedelta = timedelta(days=7)
    poll_interval: float = 0.0
    # The contact promise (issue: reminders, widening, breach, urgent path).
    reminder_checkpoints: tuple[float, ...] = (0.5, 0.75)
    widen_after: timedelta = timedelta(hours=4)
    confirm_claim_after: timedelta = timedelta(hours=8)
    release_after: timedelta = timedelta(hours=2)
    urgent_deadline: timedelta = timedelta(hours=1)
    checkin_after: timedelta = timedelta(days=10)
    min_available: int = 3
    max_open_cases: int = 3
    # Aggregates are shown only for groups of at least this many (small-cell suppression).
    small_cell: int = 5
    # Content of a closed case is deleted this long after closing; only the figures' fields stay.
    retention: timedelta = timedelta(days=90)
    # Staff per department, to set the network's make-up beside (optional).
    headcount: dict[str, int] = field(default_factory=dict)
    log_level: str = "INFO"
    log_format: str = "text"
    # Webhook mode (polling when no URL is set): Telegram posts updates to this public URL; the
    # bot listens on webhook_listen:webhook_port, usually behind a reverse proxy that ends TLS.
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    webhook_secret: str | None = field(default=None, repr=False)
    # The .env file the settings came from (None: the process environment only).
    env_file: Path | None = None
    # The steering group's weekly digest, in the organisation's time zone (Monday 08:30).
    digest_weekday: int = 0
    digest_time: time = time(8, 30)
    # The network's review of candidate signals: None is monthly (with the first digest of each
    # month), else every this many days (with the first digest after that).
    review_every_days: int | None = None
    # A signal: a department and a theme in at least this many conversations of a quarter's
    # closed months, from different colleagues (at most WAAKZAAM_SMALL_CELL - 2).
    signal_min: int = 3
    # A closed month, quarter or year is counted (and its figures released, with that week's
    # digest) this many days after it ends: the last promises and tags of its requests settle.
    settle_days: int = 7
    # The steering group's follow-up: an open action without an update this long is flagged as
    # stalled in the digest; a reported signal without an answer this many weeks is listed; the
    # steering member who follows an action up is reminded this many days before its due date.
    action_stall_days: int = 30
    unanswered_weeks: int = 4
    action_reminder_days: int = 7

    @property
    def contact_hours(self) -> int:
        """The contact promise in whole hours, as people are told it."""
        return int(self.contact_deadline.total_seconds() // 3600)

    @property
    def key_is_beside_db(self) -> bool:
        """The key in the database's folder (or below it), or the database in the key's folder:
        either way one copy of a folder would carry both."""
        db_dir = self.db_path.resolve().parent
        key_dir = self.key_file.resolve().parent
        return key_dir == db_dir or db_dir in key_dir.parents or key_dir in db_dir.parents


def _env(source: dict[str, str | None], name: str) -> str | None:
    value = os.environ.get(name, source.get(name))
    if value is None:
        return None
    value = value.strip()
    return value or None


def env_file_warning(env_file: Path | str | None) -> str | None:
    """`.env` holds the bot token: others should not be able to read it."""
    if not env_file or not Path(env_file).is_file():
        return None
    mode = Path(env_file).stat().st_mode & 0o777
    if mode & 0o077:
        return (f"{env_file} holds the bot token and can be read by others (mode {mode:o}); "
                f"make it private with: chmod 600 {env_file}")
    return None


def default_env_file() -> Path:
    """WAAKZAAM_ENV_FILE when set (e.g. /etc/waakzaam/waakzaam.env), else `.env` in the
    repository folder: never the current folder, so a command run elsewhere reads the same."""
    named = os.environ.get("WAAKZAAM_ENV_FILE", "").strip()
    return Path(named).expanduser().absolute() if named else PROJECT_DIR / ".env"


def load_settings(env_file: Path | str | None = None, *, require_token: bool = True) -> Settings:
    """Read settings; the `.env` file fills in what the process environment does not set.

    Relative paths (WAAKZAAM_DB, WAAKZAAM_KEY_FILE) are taken from the `.env` file's folder."""
    env_path = Path(env_file).absolute() if env_file else default_env_file()
    base = env_path.parent
    source: dict[str, str | None] = {}
    if env_path.is_file():
        try:
            source = dict(dotenv_values(env_path))
        except (OSError, UnicodeDecodeError) as exc:
            raise SettingsError(f"cannot read {env_path} ({exc.__class__.__name__}); check its owner and mode.") from None
    elif os.environ.get("WAAKZAAM_ENV_FILE", "").strip() and env_file is None:
        raise SettingsError(f"WAAKZAAM_ENV_FILE names {env_path}, which does not exist.")

    token = _env(source, "TELEGRAM_BOT_TOKEN") or ""
    if require_token and not token:
        raise SettingsError(
            "TELEGRAM_BOT_TOKEN is not set. Create a bot with @BotFather in Telegram (/newbot), "
            "then put the token it gives you in .env as TELEGRAM_BOT_TOKEN=123456:ABC..."
        )
    if token and not _TOKEN_SHAPE.match(token):
        raise SettingsError(
            "TELEGRAM_BOT_TOKEN does not look like a bot token (expected digits, a colon and "
            "a long code, as @BotFather shows it). Copy it again without spaces or quotes."
        )

    kwargs: dict = {"token": token, "env_file": env_path if env_path.is_file() else None,
                    "db_path": base / Settings.db_path}

    if api := _env(source, "TELEGRAM_API_BASE_URL"):
        if not re.match(r"^https?://[^/\s]+(/\S*)?$", api):
            raise SettingsError(
                "TELEGRAM_API_BASE_URL must be a URL such as https://api.telegram.org/bot "
                "(or http://127.0.0.1:9000/bot for a local emulator)."
            )
        kwargs["api_base_url"] = api

    if db := _env(source, "WAAKZAAM_DB"):
        kwargs["db_path"] = base / Path(db).expanduser()
    if key := _env(source, "WAAKZAAM_KEY_FILE"):
        kwargs["key_file"] = base / Path(key).expanduser()

    if tz := _env(source, "WAAKZAAM_TIMEZONE"):
        try:
            kwargs["timezone"] = ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise SettingsError(
                f"WAAKZAAM_TIMEZONE={tz!r} is not a known time zone; use a name such as Europe/Brussels."
            ) from None

    if code := _env(source, "WAAKZAAM_ACCESS_CODE"):
        if not re.match(r"^[A-Za-z0-9_-]{4,64}$", code):
            raise SettingsError(
                "WAAKZAAM_ACCESS_CODE must be 4 to 64 letters, digits, '-' or '_' "
                "(it travels in a t.me link); leave it empty for no access code."
            )
        kwargs["access_code"] = code

    if lang := _env(source, "WAAKZAAM_DEFAULT_LANGUAGE"):
        if lang not in LANGUAGES:
            raise SettingsError(f"WAAKZAAM_DEFAULT_LANGUAGE must be one of {', '.join(LANGUAGES)}.")
        kwargs["default_language"] = lang

    if deps := _env(source, "WAAKZAAM_DEPARTMENTS"):
        names = tuple(d.strip() for d in deps.split(",") if d.strip())
        if not names or len(set(names)) != len(names) or any(len(n) > 40 for n in names):
            raise SettingsError(
                "WAAKZAAM_DEPARTMENTS must be a comma-separated list of distinct department names "
                "of at most 40 characters each, e.g. Production,Maintenance,Office."
            )
        kwargs["departments"] = names

    if countries := _env(source, "WAAKZAAM_EMERGENCY_COUNTRIES"):
        codes = tuple(c.strip().upper() for c in countries.split(",") if c.strip())
        if not codes or any(not re.match(r"^[A-Z]{2}$", c) for c in codes):
            raise SettingsError("WAAKZAAM_EMERGENCY_COUNTRIES must be country codes such as BE,NL.")
        kwargs["emergency_countries"] = codes

    if hours := _env(source, "WAAKZAAM_CONTACT_DEADLINE_HOURS"):
        kwargs["contact_deadline"] = timedelta(hours=_positive_number("WAAKZAAM_CONTACT_DEADLINE_HOURS", hours))
    if days := _env(source, "WAAKZAAM_INVITE_TTL_DAYS"):
        kwargs["invite_ttl"] = timedelta(days=_positive_number("WAAKZAAM_INVITE_TTL_DAYS", days))
    for name, key, unit in (
        ("WAAKZAAM_WIDEN_AFTER_HOURS", "widen_after", "hours"),
        ("WAAKZAAM_CONFIRM_CLAIM_AFTER_HOURS", "confirm_claim_after", "hours"),
        ("WAAKZAAM_RELEASE_AFTER_HOURS", "release_after", "hours"),
        ("WAAKZAAM_URGENT_DEADLINE_HOURS", "urgent_deadline", "hours"),
        ("WAAKZAAM_CHECKIN_DAYS", "checkin_after", "days"),
    ):
        if raw := _env(source, name):
            kwargs[key] = timedelta(**{unit: _positive_number(name, raw)})
    if raw := _env(source, "WAAKZAAM_REMINDERS"):
        try:
            points = tuple(sorted(float(p) / 100 for p in raw.split(",") if p.strip()))
        except ValueError:
            points = ()
        if not points or any(not 0 < p < 1 for p in points):
            raise SettingsError("WAAKZAAM_REMINDERS must be percentages of the deadline between 1 and 99, e.g. 50,75.")
        kwargs["reminder_checkpoints"] = points
    for name, key, low, high in (
        ("WAAKZAAM_MIN_AVAILABLE", "min_available", 0, 1000),
        ("WAAKZAAM_MAX_OPEN_CASES", "max_open_cases", 1, 10),
        ("WAAKZAAM_SMALL_CELL", "small_cell", 4, 100),
    ):
        if raw := _env(source, name):
            if not raw.isdigit() or not low <= int(raw) <= high:
                raise SettingsError(f"{name} must be a whole number from {low} to {high}.")
            kwargs[key] = int(raw)
    if raw := _env(source, "WAAKZAAM_RETENTION_DAYS"):
        if not raw.isdigit() or not 1 <= int(raw) <= 3650:
            raise SettingsError("WAAKZAAM_RETENTION_DAYS must be a whole number of days from 1 to 3650.")
        kwargs["retention"] = timedelta(days=int(raw))
    if raw := _env(source, "WAAKZAAM_HEADCOUNT"):
        departments = kwargs.get("departments", Settings.__dataclass_fields__["departments"].default)
        headcount = {}
        for part in raw.split(","):
            name, _, number = part.rpartition(":")
            name = name.strip()
            if not name or not number.strip().isdigit() or name not in departments or name in headcount:
                raise SettingsError(
                    "WAAKZAAM_HEADCOUNT must list departments of WAAKZAAM_DEPARTMENTS with their staff, "
                    "each once, e.g. Production:120,Office:35.")
            headcount[name] = int(number)
        kwargs["headcount"] = headcount
    _digest_settings(source, kwargs)
    _action_settings(source, kwargs)
    if poll := _env(source, "WAAKZAAM_POLL_INTERVAL"):
        kwargs["poll_interval"] = _positive_number("WAAKZAAM_POLL_INTERVAL", poll, allow_zero=True)

    if level := _env(source, "WAAKZAAM_LOG_LEVEL"):
        if level.upper() not in LOG_LEVELS:
            raise SettingsError(f"WAAKZAAM_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {level!r}.")
        kwargs["log_level"] = level.upper()
    if fmt := _env(source, "WAAKZAAM_LOG_FORMAT"):
        if fmt.lower() not in LOG_FORMATS:
            raise SettingsError(f"WAAKZAAM_LOG_FORMAT must be text or json, not {fmt!r}.")
        kwargs["log_format"] = fmt.lower()
    kwargs.update(_webhook(source))

    settings = Settings(**kwargs)
    if settings.key_is_beside_db:
        raise SettingsError(
            f"WAAKZAAM_KEY_FILE ({settings.key_file}) and WAAKZAAM_DB ({settings.db_path}) share a folder; a copy "
            "of that folder would then carry its own key. Put the key file somewhere else."
        )
    return settings


def _webhook(source: dict[str, str | None]) -> dict:
    found: dict = {}
    if url := _env(source, "WAAKZAAM_WEBHOOK_URL"):
        found["webhook_url"] = check_webhook_url(url)
    if listen := _env(source, "WAAKZAAM_WEBHOOK_LISTEN"):
        if not re.match(r"^[A-Za-z0-9.:-]+$", listen):
            raise SettingsError("WAAKZAAM_WEBHOOK_LISTEN must be an address to listen on, such as 127.0.0.1.")
        found["webhook_listen"] = listen
    if port := _env(source, "WAAKZAAM_WEBHOOK_PORT"):
        found["webhook_port"] = check_port("WAAKZAAM_WEBHOOK_PORT", port)
    if secret := _env(source, "WAAKZAAM_WEBHOOK_SECRET"):
        if not _SECRET_SHAPE.match(secret):
            raise SettingsError("WAAKZAAM_WEBHOOK_SECRET must be 16 to 256 letters, digits, '-' or '_' "
                                "(Telegram's rule); leave it empty for a new random one at every start.")
        found["webhook_secret"] = secret
    return found


def check_webhook_url(url: str, name: str = "WAAKZAAM_WEBHOOK_URL") -> str:
    """Telegram posts only to https (ports 443, 80, 88, 8443); http is allowed for 127.0.0.1 tests."""
    if not re.match(r"^https://[^/\s:]+(:(443|80|88|8443))?(/\S*)?$", url) and \
            not re.match(r"^http://(127\.0\.0\.1|localhost)(:\d+)?(/\S*)?$", url):
        raise SettingsError(
            f"{name} must be the public https address Telegram posts updates to, such as "
            "https://bot.example.org/telegram (port 443, 80, 88 or 8443).")
    return url


def check_port(name: str, raw: str) -> int:
    if not raw.isdigit() or not 1 <= int(raw) <= 65535:
        raise SettingsError(f"{name} must be a port number from 1 to 65535, not {raw!r}.")
    return int(raw)


def _digest_settings(source: dict[str, str | None], kwargs: dict) -> None:
    """The digest's schedule, the review's rhythm, the signal threshold and the settle days."""
    if raw := _env(source, "WAAKZAAM_DIGEST_AT"):
        match = _DIGEST_AT.match(raw.upper())
        if (not match or match[0].split()[0] not in (match[1], _FULL_DAYS[match[1]])
                or int(match[2]) > 23 or int(match[3]) > 59):
            raise SettingsError("WAAKZAAM_DIGEST_AT must be a weekday and a time in the organisation's time zone, "
                                "e.g. MON 08:30.")
        kwargs["digest_weekday"] = WEEKDAYS.index(match[1])
        kwargs["digest_time"] = time(int(match[2]), int(match[3]))
    if raw := _env(source, "WAAKZAAM_REVIEW_EVERY"):
        if raw.lower() == "monthly":
            kwargs["review_every_days"] = None
        elif raw.isdigit() and 7 <= int(raw) <= 365:
            kwargs["review_every_days"] = int(raw)
        else:
            raise SettingsError("WAAKZAAM_REVIEW_EVERY must be monthly or a number of days from 7 to 365.")
    for name, key, low, high in (
        ("WAAKZAAM_SIGNAL_MIN", "signal_min", 2, 98),
        ("WAAKZAAM_SETTLE_DAYS", "settle_days", 0, 28),
    ):
        if raw := _env(source, name):
            if not raw.isdigit() or not low <= int(raw) <= high:
                raise SettingsError(f"{name} must be a whole number from {low} to {high}.")
            kwargs[key] = int(raw)
    small_cell = kwargs.get("small_cell", 5)
    if kwargs.get("signal_min", 3) > small_cell - 2:
        # A review flag "at least s" beside a later "fewer than k" must leave two values: s <= k-2.
        raise SettingsError(f"WAAKZAAM_SIGNAL_MIN must be at most WAAKZAAM_SMALL_CELL - 2 ({small_cell - 2}), so that "
                            "a signal reported by the network never pins a hidden count.")


def _action_settings(source: dict[str, str | None], kwargs: dict) -> None:
    """The follow-up of the steering group's actions: stall flag, unanswered signals, reminders."""
    for name, key, low, high, unit in (
        ("WAAKZAAM_ACTION_STALL_DAYS", "action_stall_days", 7, 365, "days"),
        ("WAAKZAAM_UNANSWERED_WEEKS", "unanswered_weeks", 1, 52, "weeks"),
        ("WAAKZAAM_ACTION_REMINDER_DAYS", "action_reminder_days", 1, 90, "days"),
    ):
        if raw := _env(source, name):
            if not raw.isdigit() or not low <= int(raw) <= high:
                raise SettingsError(f"{name} must be a whole number of {unit} from {low} to {high}.")
            kwargs[key] = int(raw)


_FULL_DAYS = dict(zip(WEEKDAYS, ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")))


def _positive_number(name: str, raw: str, *, allow_zero: bool = False) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, not {raw!r}.") from None
    if value < 0 or (value == 0 and not allow_zero):
        raise SettingsError(f"{name} must be greater than zero.")
    return value
