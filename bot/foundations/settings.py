"""Settings from the environment and an optional `.env` file.

Every problem is reported as one `SettingsError` line that names the setting and
says how to fix it; the CLI prints that line and exits, never a traceback.
"""
from __future__ import annotations

import difflib
import math
import os
import re
from dataclasses import dataclass, field
from datetime import time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

from .i18n import LANGUAGES
from .model import Hours, Span

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
_SPAN = re.compile(r"^([A-Z]{3})(?:-([A-Z]{3}))?((?:,[A-Z]{3})*)\s+(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")
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
    # The organisation's working hours (Monday = 0; None: always): outside them coordinators are
    # told that few listeners are available only when a request cannot be taken before its deadline.
    working_hours: Hours | None = (Span(0, 480, 1080), Span(1, 480, 1080), Span(2, 480, 1080), Span(3, 480, 1080),
                                   Span(4, 480, 1080))
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
    # Where the database is when WAAKZAAM_DB is not set (data/waakzaam.db beside the .env file): the
    # one place whose folder `run` and `invite` may create.
    default_db: Path | None = None
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
    # Decisions that take two people (removing a coordinator, publishing a "you said, we did") take
    # two people the bot has known for a while: whoever got their role less than this long ago
    # cannot take part yet. A coordinator's removal, once a second agrees, takes effect this much
    # later; meanwhile the person is told and any other coordinator can stop it.
    two_person_wait: timedelta = timedelta(days=7)
    removal_delay: timedelta = timedelta(hours=48)
    # Nightly backups, and the copies made before a schema upgrade or a restore, are removed after
    # this many days; an erasure reaches the copies only then (SECURITY.md).
    backup_keep_days: int = 30
    # Names in .env or the environment that look like a setting but are none (a typo): one line
    # each. Start-up refuses them; `waakzaam check` lists them as FAIL.
    unknown: tuple[str, ...] = ()

    @property
    def contact_hours(self) -> int:
        """The contact promise in whole hours, as people are told it."""
        return int(self.contact_deadline.total_seconds() // 3600)

    @property
    def removal_hours(self) -> int:
        """The wait before an agreed removal of a coordinator takes effect, in whole hours."""
        return int(self.removal_delay.total_seconds() // 3600)

    @property
    def key_is_beside_db(self) -> bool:
        """The key in the database's folder (or below it), or the database in the key's folder:
        either way one copy of a folder would carry both."""
        db_dir = self.db_path.resolve().parent
        key_dir = self.key_file.resolve().parent
        return key_dir == db_dir or db_dir in key_dir.parents or key_dir in db_dir.parents


class _Source(dict):
    """The `.env` file's values; remembers which names the settings asked for, so a name nobody
    asked for (a typo) can be found afterwards."""

    def __init__(self, values: dict[str, str | None]) -> None:
        super().__init__(values)
        self.asked: set[str] = {"WAAKZAAM_ENV_FILE"}


def _env(source: dict[str, str | None], name: str) -> str | None:
    if isinstance(source, _Source):
        source.asked.add(name)
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


def load_settings(env_file: Path | str | None = None, *, require_token: bool = True,
                  strict: bool = True) -> Settings:
    """Read settings; the `.env` file fills in what the process environment does not set.

    Relative paths (WAAKZAAM_DB, WAAKZAAM_KEY_FILE) are taken from the `.env` file's folder. A name
    that looks like a setting but is none (WAKZAAM_ACCESS_CODE) is refused when `strict`, else
    listed in `Settings.unknown` (for `waakzaam check`)."""
    env_path = Path(env_file).absolute() if env_file else default_env_file()
    base = env_path.parent
    source = _Source({})
    if env_path.is_file():
        try:
            source = _Source(dotenv_values(env_path))
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
                    "db_path": base / Settings.db_path, "default_db": base / Settings.db_path}

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
    _not_a_folder("WAAKZAAM_DB", kwargs["db_path"], "waakzaam.db")
    if "key_file" in kwargs:
        _not_a_folder("WAAKZAAM_KEY_FILE", kwargs["key_file"], "master.key")

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

    for name, key, unit, most in (
        ("WAAKZAAM_CONTACT_DEADLINE_HOURS", "contact_deadline", "hours", 720),
        ("WAAKZAAM_INVITE_TTL_DAYS", "invite_ttl", "days", 365),
        ("WAAKZAAM_WIDEN_AFTER_HOURS", "widen_after", "hours", 720),
        ("WAAKZAAM_CONFIRM_CLAIM_AFTER_HOURS", "confirm_claim_after", "hours", 720),
        ("WAAKZAAM_RELEASE_AFTER_HOURS", "release_after", "hours", 720),
        ("WAAKZAAM_URGENT_DEADLINE_HOURS", "urgent_deadline", "hours", 720),
        ("WAAKZAAM_CHECKIN_DAYS", "checkin_after", "days", 365),
    ):
        if raw := _env(source, name):
            kwargs[key] = timedelta(**{unit: _positive_number(name, raw, unit=unit, most=most)})
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
            if not _whole(raw) or not low <= int(raw) <= high:
                raise SettingsError(f"{name} must be a whole number from {low} to {high}.")
            kwargs[key] = int(raw)
    if raw := _env(source, "WAAKZAAM_WORKING_HOURS"):
        kwargs["working_hours"] = parse_working_hours(raw)
    if raw := _env(source, "WAAKZAAM_RETENTION_DAYS"):
        if not _whole(raw) or not 1 <= int(raw) <= 3650:
            raise SettingsError("WAAKZAAM_RETENTION_DAYS must be a whole number of days from 1 to 3650.")
        kwargs["retention"] = timedelta(days=int(raw))
    if raw := _env(source, "WAAKZAAM_BACKUP_KEEP_DAYS"):
        if not _whole(raw) or not 1 <= int(raw) <= 3650:
            raise SettingsError("WAAKZAAM_BACKUP_KEEP_DAYS must be a whole number of days from 1 to 3650.")
        kwargs["backup_keep_days"] = int(raw)
    if raw := _env(source, "WAAKZAAM_HEADCOUNT"):
        departments = kwargs.get("departments", Settings.__dataclass_fields__["departments"].default)
        headcount = {}
        for part in raw.split(","):
            name, _, number = part.rpartition(":")
            name = name.strip()
            if not name or not _whole(number.strip()) or name not in departments or name in headcount:
                raise SettingsError(
                    "WAAKZAAM_HEADCOUNT must list departments of WAAKZAAM_DEPARTMENTS with their staff, "
                    "each once, e.g. Production:120,Office:35.")
            headcount[name] = int(number)
        kwargs["headcount"] = headcount
    _digest_settings(source, kwargs)
    _action_settings(source, kwargs)
    _two_person_settings(source, kwargs)
    if poll := _env(source, "WAAKZAAM_POLL_INTERVAL"):
        kwargs["poll_interval"] = _positive_number("WAAKZAAM_POLL_INTERVAL", poll, unit="seconds", most=60,
                                                   allow_zero=True)

    if level := _env(source, "WAAKZAAM_LOG_LEVEL"):
        if level.upper() not in LOG_LEVELS:
            raise SettingsError(f"WAAKZAAM_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {level!r}.")
        kwargs["log_level"] = level.upper()
    if fmt := _env(source, "WAAKZAAM_LOG_FORMAT"):
        if fmt.lower() not in LOG_FORMATS:
            raise SettingsError(f"WAAKZAAM_LOG_FORMAT must be text or json, not {fmt!r}.")
        kwargs["log_format"] = fmt.lower()
    kwargs.update(_webhook(source))
    kwargs["unknown"] = _unknown_names(source, env_path)
    if strict and kwargs["unknown"]:
        raise SettingsError(kwargs["unknown"][0])

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
    if not _whole(raw) or not 1 <= int(raw) <= 65535:
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
        elif _whole(raw) and 7 <= int(raw) <= 365:
            kwargs["review_every_days"] = int(raw)
        else:
            raise SettingsError("WAAKZAAM_REVIEW_EVERY must be monthly or a number of days from 7 to 365.")
    for name, key, low, high in (
        ("WAAKZAAM_SIGNAL_MIN", "signal_min", 2, 98),
        ("WAAKZAAM_SETTLE_DAYS", "settle_days", 0, 28),
    ):
        if raw := _env(source, name):
            if not _whole(raw) or not low <= int(raw) <= high:
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
            if not _whole(raw) or not low <= int(raw) <= high:
                raise SettingsError(f"{name} must be a whole number of {unit} from {low} to {high}.")
            kwargs[key] = int(raw)


def _two_person_settings(source: dict[str, str | None], kwargs: dict) -> None:
    """How long a new coordinator or steering member waits before taking part in a decision that
    takes two people, and how long a coordinator's removal waits before it takes effect."""
    for name, key, low, high, unit in (
        ("WAAKZAAM_TWO_PERSON_WAIT_DAYS", "two_person_wait", 1, 90, "days"),
        ("WAAKZAAM_REMOVAL_DELAY_HOURS", "removal_delay", 1, 336, "hours"),
    ):
        if raw := _env(source, name):
            if not _whole(raw) or not low <= int(raw) <= high:
                raise SettingsError(f"{name} must be a whole number of {unit} from {low} to {high}.")
            kwargs[key] = timedelta(**{unit: int(raw)})


_FULL_DAYS = dict(zip(WEEKDAYS, ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")))


def parse_working_hours(raw: str) -> Hours | None:
    """'MON-FRI 08:00-18:00', several separated by ';' ('MON,WED 09:00-12:00'), or ALWAYS (None).
    A range of days may run across Sunday ('SUN-THU', 'FRI-MON'). An end before the start runs
    past midnight into the next day; an end equal to the start is refused (empty, or all day?)."""
    if raw.strip().upper() == "ALWAYS":
        return None
    spans: list[Span] = []
    for part in raw.upper().split(";"):
        match = _SPAN.match(part.strip())
        if match:
            named = [match[1], *([match[2]] if match[2] else []), *match[3].split(",")[1:]]
        if (not match or any(d not in WEEKDAYS for d in named) or (match[2] and match[3]) or int(match[4]) > 23
                or int(match[6]) > 24 or int(match[5]) > 59 or int(match[7]) > 59):
            raise SettingsError("WAAKZAAM_WORKING_HOURS must be days and hours in the organisation's time zone, "
                                "e.g. MON-FRI 08:00-18:00 (several separated by ';'), or ALWAYS.")
        start, end = int(match[4]) * 60 + int(match[5]), min(1440, int(match[6]) * 60 + int(match[7]))
        if start == end:
            raise SettingsError(f"WAAKZAAM_WORKING_HOURS: {part.strip()} starts and ends at the same time; for the "
                                "whole day write 00:00-24:00, or ALWAYS for every hour of the week.")
        if match[2]:
            first, last = WEEKDAYS.index(match[1]), WEEKDAYS.index(match[2])
            chosen = [(first + i) % 7 for i in range((last - first) % 7 + 1)]
        else:
            chosen = [WEEKDAYS.index(d) for d in named]
        for day in chosen:
            if end > start:
                spans.append(Span(day, start, end))
            else:
                spans.append(Span(day, start, 1440))
                if end:
                    spans.append(Span((day + 1) % 7, 0, end))
    return tuple(sorted(spans, key=lambda s: (s.day, s.start)))


def _whole(raw: str) -> bool:
    """ASCII digits only, and not absurdly many ("²" and "1e3" are no whole numbers here)."""
    return re.fullmatch(r"[0-9]{1,9}", raw) is not None


def _positive_number(name: str, raw: str, *, unit: str, most: float, allow_zero: bool = False) -> float:
    """A finite number of `unit` from 0 (excluded unless `allow_zero`) to `most`; never nan or inf."""
    low = "0" if allow_zero else "more than 0"
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero) or value > most:
        raise SettingsError(f"{name} must be a number of {unit} from {low} to {most:g}, not {raw!r}.")
    return value


def _not_a_folder(name: str, path: Path, example: str) -> None:
    if path.is_dir():
        raise SettingsError(f"{name} names the folder {path}; it must name a file in it, such as {path / example}.")


# A name whose first part is this close to WAAKZAAM (WAKZAAM, WAAKZAM, waakzaam) means to be a
# setting; in the .env file, so does a TELEGRAM_ name or one close to any setting.
_PREFIX_LIKENESS = 0.75
_NAME_LIKENESS = 0.8


def _looks_like_ours(name: str) -> bool:
    prefix = name.upper().split("_", 1)[0]
    return difflib.SequenceMatcher(None, prefix, "WAAKZAAM").ratio() >= _PREFIX_LIKENESS


def _unknown_names(source: _Source, env_path: Path) -> tuple[str, ...]:
    """One line for each name in .env or the environment that means to be a setting but is none,
    naming the closest setting there is."""
    known = sorted(source.asked)
    lines = []
    candidates = [(name, f"in {env_path}") for name in source if name not in source.asked
                  and (_looks_like_ours(name) or name.upper().startswith("TELEGRAM_")
                       or difflib.get_close_matches(name.upper(), known, n=1, cutoff=_NAME_LIKENESS))]
    candidates += [(name, "in the environment") for name in os.environ
                   if name not in source.asked and name not in source and _looks_like_ours(name)]
    for name, where in candidates:
        close = difflib.get_close_matches(name.upper(), known, n=1, cutoff=0.5)
        hint = f"did you mean {close[0]}?" if close else "the settings are listed in .env.example."
        lines.append(f"{name} ({where}) is not a Waakzaam setting: {hint} Correct or remove it.")
    return tuple(lines)
