"""The `waakzaam` command: run the bot, invite someone, and the operator's tools.

    waakzaam run [--webhook URL]      the bot (polling unless a webhook URL is given)
    waakzaam invite coordinator|listener|steering
    waakzaam check [--offline] [--live]  is everything ready? one line per finding
    waakzaam backup PATH              a verified, encrypted copy while the bot runs
    waakzaam restore PATH [--force]   put a backup in place (the bot stopped); --resume
    waakzaam rotate-key               a new key version; every sealed value re-sealed
    waakzaam digest --preview [--demo] [--week W] [--out DIR] [--lang L]
                                      the steering group's digest, rendered locally, sent nowhere
    waakzaam report --period 2026|2026-Q3 --out FILE [--lang L] [--demo]
                                      the quarterly table or the annual report: HTML and PDF

Settings come from the environment and the `.env` file of the repository folder (or the file
WAAKZAAM_ENV_FILE names), whatever the current folder. Output for operators is English, one
line per problem. Exit codes: 0 done, 1 a check or an operation failed (or the Bot API could not
be reached: trying again may help), 2 usage, settings or start-up refused (trying again will
not help until something is changed). It speaks to Telegram for the start-up check (is the token
right, is the Bot API there) and to build invitation links with the bot's name.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from telegram import Bot
from telegram.error import InvalidToken, NetworkError, TelegramError

from .app import build_application
from .foundations import calendar
from .foundations.charter import Charter
from .foundations.core import Core
from .foundations.crypto import KeyFileError, Vault, key_versions_on_disk, read_key_files
from .foundations.i18n import LANGUAGES
from .foundations.offload import Offload
from .foundations.storage import files
from .foundations.settings import (
    LOG_FORMATS,
    PROJECT_DIR,
    Settings,
    SettingsError,
    check_port,
    check_webhook_url,
    env_file_warning,
    load_settings,
)
from .running import backups, checks, logs, restoring
from .running.demo_digest import demo
from .running.demo_report import run_demo
from .running.inbox import serve
from .running.key_rotation import RotationError, rotate
from .running.lock import Busy, DatabaseLock, LockError
from .running.startup import StartupError, creation_refused, folder_refused, open_core
from .running.webhook import WebhookError, serve_webhook
from .services import Services
from .steering.digest.schedule import parse_week
from .steering.report import render as report_render
from .steering.releases.service import PeriodReleases
from .steering.report.service import NotReleased, Reports

log = logging.getLogger("waakzaam")

# The README's words for who is invited, and the role each is stored as.
INVITE_ROLES = {"coordinator": "coordinator", "listener": "member", "member": "member", "steering": "steering"}
ROLE_WORDS = {"coordinator": "a coordinator", "member": "a listener", "steering": "a steering group member"}


def _say(problem: str) -> None:
    print(f"waakzaam: {problem}", file=sys.stderr)


class _Refused(Exception):
    """A command cannot go on: one line, and the exit code."""

    def __init__(self, line: str, code: int = 2) -> None:
        super().__init__(line)
        self.code = code


async def _ask_telegram(settings) -> str | None:
    """The bot's username; None when the Bot API cannot be reached. Raises _Refused when Telegram
    refuses the token (exit 2: trying again will not help)."""
    try:
        async with Bot(settings.token, base_url=settings.api_base_url) as bot:
            return bot.username
    except InvalidToken:
        raise _Refused("Telegram refused TELEGRAM_BOT_TOKEN: check it with @BotFather (/mybots). Nothing was "
                       "created.") from None
    except (NetworkError, TelegramError):
        return None


def _unreachable(settings) -> str:
    return (f"cannot reach the Bot API at {settings.api_base_url}. Check the network or TELEGRAM_API_BASE_URL; "
            "nothing was created.")


def _may_create(settings) -> None:
    """A database that is not there (and no restore of one under way) may be made only on purpose:
    checked before anything, so a refusal leaves no folder and no lock file behind."""
    if not settings.db_path.exists() and backups.pending_restore(settings.db_path) is None:
        if problem := creation_refused(settings):
            raise _Refused(problem)


def _lock(settings, what: str) -> tuple[DatabaseLock, str | None]:
    """The database's folder (made only where a database may be made), the lock, and a restore
    that was interrupted finished or undone (the line saying so, logged too); _Refused otherwise."""
    if problem := folder_refused(settings):
        raise _Refused(problem)
    try:
        lock = DatabaseLock(settings.db_path).acquire(what)
    except (Busy, LockError) as exc:
        raise _Refused(str(exc)) from None
    try:
        if done := backups.recover(settings.db_path):
            log.warning("%s", done)
    except OSError as exc:
        lock.release()
        raise _Refused(f"cannot finish or undo an interrupted restore ({files.trouble(exc, settings.db_path)}); "
                       "see `waakzaam check`") from None
    return lock, done


async def _preflight(settings) -> None:
    """With the lock held, before PTB starts: the database may be made, or is there and opens with
    its key (pending migrations run now, after their copy)."""
    if problem := creation_refused(settings):
        raise _Refused(problem)
    if settings.db_path.exists():
        try:
            core = await open_core(settings)
        except StartupError as exc:
            raise _Refused(str(exc)) from None
        await core.close()


def _telegram_knows(settings) -> None:
    """The Bot API is there and takes the token; else _Refused (1: unreachable, may pass; 2: refused)."""
    if asyncio.run(_ask_telegram(settings)) is None:
        raise _Refused(f"{_unreachable(settings)} Under systemd the bot is started again.", code=1)


def _run(settings, args) -> int:
    try:
        url = check_webhook_url(args.webhook, "--webhook") if args.webhook else settings.webhook_url
        listen = args.listen or settings.webhook_listen
        port = check_port("--port", args.port) if args.port else settings.webhook_port
    except SettingsError as exc:
        _say(str(exc))
        return 2
    try:
        _may_create(settings)     # a typo is refused before anything is made
        _telegram_knows(settings)  # as is a token Telegram refuses, or no Bot API
        lock, _ = _lock(settings, "the bot")
    except _Refused as exc:
        _say(f"cannot start: {exc}")
        return exc.code
    with lock:
        try:
            asyncio.run(_preflight(settings))
        except _Refused as exc:
            _say(f"cannot start: {exc}")
            return exc.code
        app = build_application(settings, offload=Offload(child=True))
        if url:
            log.info("starting in webhook mode")
            try:
                asyncio.run(serve_webhook(app, url=url, listen=listen, port=port, secret=settings.webhook_secret))
            except WebhookError as exc:
                _say(f"cannot start: {exc}")
                return 2
        else:
            log.info("starting in polling mode")
            asyncio.run(serve(app, interval=settings.poll_interval))
    return 0


def _invite(settings, role: str) -> int:
    """A one-time invitation; the database is made here on a first installation. Telegram is asked
    first: a refused token changes nothing; an unreachable Bot API gives the code without a link."""
    try:
        username = asyncio.run(_ask_telegram(settings))
    except _Refused as exc:
        _say(str(exc))
        return exc.code
    try:
        _may_create(settings)
        lock = _lock(settings, "an invitation")[0] if not settings.db_path.exists() else None
    except _Refused as exc:
        _say(str(exc))
        return exc.code
    try:
        if problem := creation_refused(settings):
            _say(problem)
            return 2
        try:
            code = asyncio.run(_create_invite(settings, role))
        except StartupError as exc:
            _say(str(exc))
            return 2
    finally:
        if lock is not None:
            lock.release()
    days = int(settings.invite_ttl.total_seconds() // 86400)
    who = ROLE_WORDS[role]
    if username is None:
        print(f"One-time invitation for {who}, valid {days} days. The bot could not be reached to "
              f"build the link; in Telegram, send this to your bot:\n/start {code}")
        return 0
    print(f"One-time invitation for {who}, valid {days} days. Send it to one person only:")
    print(f"https://t.me/{username}?start={code}")
    return 0


async def _create_invite(settings, role: str) -> str:
    core = await open_core(settings)
    try:
        return await core.invites.create(role, settings.invite_ttl)
    finally:
        await core.close()


async def _bot_api_finding(settings) -> checks.Finding:
    try:
        async with Bot(settings.token, base_url=settings.api_base_url) as bot:
            return checks.Finding(checks.OK, f"Telegram accepts the token: the bot is @{bot.username}")
    except InvalidToken:
        return checks.Finding(checks.FAIL, "Telegram refused TELEGRAM_BOT_TOKEN; check it with @BotFather (/mybots)")
    except (NetworkError, TelegramError) as exc:
        return checks.Finding(checks.FAIL, f"cannot reach the Bot API at {settings.api_base_url} "
                                           f"({exc.__class__.__name__})")


def _check(settings, offline: bool, live: bool) -> int:
    findings = checks.check(settings, live=live)
    if settings.token and not offline:
        findings.append(asyncio.run(_bot_api_finding(settings)))
    for finding in findings:
        print(finding)
    failed = sum(f.level == checks.FAIL for f in findings)
    warned = sum(f.level == checks.WARN for f in findings)
    print(f"{failed} problem(s) that block running, {warned} warning(s).")
    return 1 if failed else 0


def _keyring(settings) -> Vault:
    """Every key version held, for opening backups (which version is active does not matter)."""
    keys = read_key_files(settings.key_file)
    if not keys:
        raise KeyFileError(f"there is no key file at {settings.key_file} (WAAKZAAM_KEY_FILE): put the key file that "
                           "belongs with the database there (mode 600)")
    return Vault.from_master_keys(keys, max(keys))


def _backup(settings, target: str) -> int:
    db = settings.db_path
    if not db.exists():
        key = "though a key file is" if key_versions_on_disk(settings.key_file) else "and no key file is"
        _say(f"backup failed: there is no database at {db} (WAAKZAAM_DB), {key} at {settings.key_file} "
             "(WAAKZAAM_KEY_FILE): nothing to back up. Check these settings (and WAAKZAAM_ENV_FILE).")
        return 1
    if (journal := backups.pending_restore(db)) is not None:
        _say(f"backup failed: a restore of {journal.source} was interrupted; start the bot or run "
             "`waakzaam restore --resume` first, which finishes or undoes it.")
        return 1
    try:
        copy = backups.make(db, settings.key_file, _keyring(settings), Path(target))
    except (KeyFileError, backups.BackupError) as exc:
        _say(f"backup failed: {exc}")
        return 1
    keys = ", ".join(str(p) for p in sorted(settings.key_file.parent.glob(f"{settings.key_file.stem}*"))
                     if not p.name.endswith(".partial"))
    print(f"Backup written and verified: {copy.path} ({copy.size} bytes, schema version {copy.schema_version}, "
          f"key version {copy.key_version}, mode 600).")
    print(f"It is encrypted and holds no key: keep a copy of the key file(s) ({keys}) apart from it.")
    if Path(target).expanduser().is_dir():
        gone = backups.prune_backups(copy.path.parent, settings.backup_keep_days)
        if gone:
            print(f"Removed {len(gone)} backup(s) older than {settings.backup_keep_days} days "
                  f"(WAAKZAAM_BACKUP_KEEP_DAYS) or left half written: " + ", ".join(p.name for p in gone) + ".")
    return 0


def _restore(settings, source: str | None, force: bool, resume: bool) -> int:
    if not resume and source is None:
        _say("restore: name the backup file (waakzaam restore PATH), or --resume to finish an interrupted one.")
        return 2
    try:
        lock, recovered = _lock(settings, "a restore")
    except _Refused as exc:
        _say(f"restore failed: {exc}")
        return 1
    with lock:
        if resume:
            print("Nothing to finish: no restore was interrupted." if recovered is None else
                  f"{recovered[0].upper()}{recovered[1:]}.")
            return 0
        try:
            done = asyncio.run(restoring.restore(settings, Path(source), _keyring(settings), force=force))
        except (KeyFileError, backups.BackupError) as exc:
            _say(f"restore failed: {exc}")
            return 1
        except OSError as exc:
            _say(f"restore failed: {files.trouble(exc, settings.db_path)}; the database was not changed.")
            return 1
    for line in _restored(settings, done):
        print(line)
    return 0


def _restored(settings, done: restoring.Restored) -> list[str]:
    keep = settings.backup_keep_days
    lines = [f"Restored {done.source} into {done.db_path} (schema version {done.schema_version}"
             + (f", brought from {done.schema_from}" if done.schema_from != done.schema_version else "")
             + f", key version {done.key_version})."]
    if done.kept_aside:
        lines.append(f"The database it replaced is kept as {done.kept_aside}; it is removed after {keep} days "
                     "(WAAKZAAM_BACKUP_KEEP_DAYS), or remove it yourself when you no longer need it.")
    if done.before_the_log:
        lines.append(f"Erasures: this backup was made before the erasure log existed (schema version "
                     f"{restoring.erasure_log_schema()}; it is at {done.schema_from}), so people who asked to be "
                     "forgotten (/forget) after it was made cannot be found in it, and are NOT erased again. Content "
                     "past the retention period is erased again at the first start.")
    elif not done.erasures_known:
        lines.append("Erasures: there was no database to replace (or one too old to remember them), so people who "
                     "asked to be forgotten (/forget) after this backup was made cannot be known, and are NOT erased "
                     "again. Content past the retention period is erased again at the first start.")
    else:
        lines.append(f"Erasures: {done.erasures_since} made since this backup; {done.erased_again} person(s) in "
                     "it erased again. Content past the retention period is erased again at the first start.")
    if done.older_than_keep and not done.before_the_log:
        lines.append(f"This backup is older than {keep} days (WAAKZAAM_BACKUP_KEEP_DAYS): erasures made more than "
                     f"{keep} days ago are no longer remembered, and are not erased again.")
    if (newest := max(key_versions_on_disk(settings.key_file), default=done.key_version)) > done.key_version:
        lines.append(f"This database uses key version {done.key_version}, retired by a rotation (key version "
                     f"{newest} exists): run `waakzaam rotate-key` now, before the bot starts.")
    lines.append("Start the bot as usual.")
    return lines


class _Progress:
    """A progress bar on a terminal; a line every tenth otherwise (logs, tests)."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.shown = -1

    def __call__(self, done: int, total: int) -> None:
        if self.tty:
            filled = 30 * done // total if total else 30
            print(f"\rre-sealing [{'#' * filled}{'.' * (30 - filled)}] {done}/{total}", end="", file=sys.stderr,
                  flush=True)
            if done >= total:
                print(file=sys.stderr)
            return
        tenth = 10 * done // total if total else 10
        if tenth != self.shown:
            self.shown = tenth
            print(f"re-sealing: {done}/{total} values", file=sys.stderr, flush=True)


async def _rotate(settings, batch: int) -> int:
    try:
        core = await open_core(settings, rotating=True)
    except StartupError as exc:
        _say(f"rotate-key failed: {exc}")
        return 1
    try:
        done = await rotate(core, batch=batch, progress=_Progress())
    except RotationError as exc:
        _say(f"rotate-key failed: {exc}")
        return 1
    finally:
        await core.close()
    if done.resumed:
        print(f"Finished the interrupted rotation to key version {done.version}.")
    print(f"Key version {done.version} is active: {done.resealed} values re-sealed, {done.rekeyed} id hashes re-keyed"
          + (f", {done.unproven} to be re-keyed when those people next write" if done.unproven else "") + ".")
    print(f"New key file: {done.key_file}. Back it up now, apart from the database and its backups.")
    if done.old_versions:
        print("No longer used by this database: " + ", ".join(str(p) for p in done.old_versions.values())
              + ". Backups made before now need it: remove it only when those backups have expired.")
    return 0


def _rotate_locked(settings, batch: int) -> int:
    nothing = f"rotate-key refused: there is no database at {settings.db_path} (WAAKZAAM_DB); nothing was changed."
    if not settings.db_path.exists() and backups.pending_restore(settings.db_path) is None:
        _say(nothing)  # before the lock: a refused rotation leaves no folder and no lock file behind
        return 1
    try:
        lock, _ = _lock(settings, "a key rotation")
    except _Refused as exc:
        _say(f"rotate-key refused: {exc}")
        return 1
    with lock:
        if not settings.db_path.exists():
            _say(nothing)
            return 1
        return asyncio.run(_rotate(settings, batch))


EPILOG = """\
settings:
  Every setting comes from the environment or from the .env file in the repository folder, whatever
  the current folder; WAAKZAAM_ENV_FILE (in the environment) names another file, such as
  /etc/waakzaam/acme.env. Relative paths in it are taken from its folder. .env.example lists every
  setting; a name that is none (a typo such as WAKZAAM_ACCESS_CODE) stops every command but check.

exit codes:
  0  done
  1  a check or an operation failed, or the Bot API could not be reached (trying again may help)
  2  usage, settings or start-up refused (trying again will not help until something is changed)
 130 interrupted (Ctrl+C); nothing is half done
"""


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--log-format", choices=LOG_FORMATS, default=argparse.SUPPRESS,
                        help="text (default) or json: one JSON object per line, for log collectors")
    parser = argparse.ArgumentParser(prog="waakzaam", parents=[common],
                                     description="Confidential bot for a vigilance network: a Telegram bot that puts "
                                                 "colleagues in touch with a listener within 24 hours. Without a "
                                                 "COMMAND it runs the bot.",
                                     epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = commands.add_parser(
        "run", parents=[common], help="run the bot (polling unless --webhook); the default",
        description="Run the bot until SIGTERM or Ctrl+C. Polling by default: it fetches updates from Telegram and "
                    "stores each before confirming it. With --webhook (or WAAKZAAM_WEBHOOK_URL) Telegram posts "
                    "them to this process instead. The first run on a new installation creates the database and "
                    "the key (then back the key up apart); under systemd it reports READY and a watchdog "
                    "heartbeat while its loops work.")
    run.add_argument("--webhook", metavar="URL", help="webhook mode: the public https URL Telegram posts to")
    run.add_argument("--listen", metavar="ADDRESS", help="webhook mode: address to listen on (default 127.0.0.1)")
    run.add_argument("--port", metavar="PORT", help="webhook mode: port to listen on (default 8443)")
    invite = commands.add_parser(
        "invite", parents=[common], help="print a one-time invitation link",
        description="Print a one-time invitation link for one person (valid WAAKZAAM_INVITE_TTL_DAYS days). On a "
                    "new installation the first `invite coordinator` creates the database and the key.")
    invite.add_argument("role", choices=tuple(INVITE_ROLES), metavar="ROLE",
                        help="coordinator, listener or steering (a steering group member); member = listener")
    check = commands.add_parser(
        "check", parents=[common], help="check settings, key, database, charter",
        description="Check that this installation is ready, changing nothing: one line per finding, OK, WARN or "
                    "FAIL. Exit code 1 when a line says FAIL.")
    check.add_argument("--offline", action="store_true", help="do not ask Telegram whether the token works")
    check.add_argument("--live", action="store_true",
                       help="also whether the running bot is working: its heartbeat (both modes)")
    backup = commands.add_parser(
        "backup", parents=[common], help="write a verified backup (the bot may run)",
        description="Copy the database into a new file of mode 600 while the bot runs, and verify the copy "
                    "(integrity, references, the key opens it). It stays encrypted and holds no key: back the key "
                    "file(s) up apart. Given a folder, the file is waakzaam-<date>-<time>.db, and backups there older "
                    "than WAAKZAAM_BACKUP_KEEP_DAYS (30) are removed.")
    backup.add_argument("path", metavar="PATH", help="a new file, or a folder for a dated file")
    restore = commands.add_parser(
        "restore", parents=[common], help="put a backup in place (stop the bot first)",
        description="Replace the database with a backup, all or nothing (the bot stopped). It refuses, changing "
                    "nothing, a backup that is damaged, that the key files here do not open, that is older than "
                    "the database, or that is sealed under a key version a rotation retired, unless --force. "
                    "People who asked to be forgotten since the backup are erased in it again. The replaced "
                    "database is kept beside it as <name>.before-restore-<time>.")
    restore.add_argument("path", metavar="PATH", nargs="?", help="the backup file")
    restore.add_argument("--force", action="store_true",
                         help="replace a database that is newer than the backup, or restore a retired key version")
    restore.add_argument("--resume", action="store_true",
                         help="only finish (or undo) a restore that was interrupted, as the next start would")
    rotate_key = commands.add_parser(
        "rotate-key", parents=[common], help="make a new key version and re-seal everything (stop the bot first)",
        description="Make a new key version (master.vN.key beside the key file) and re-seal every sealed value "
                    "with it (the bot stopped). Interrupted, run it again: it goes on where it stopped. Back the "
                    "new key file up; keep the old one while backups made before may be restored.")
    rotate_key.add_argument("--batch", type=int, default=500, metavar="N", help=argparse.SUPPRESS)
    _add_digest_command(commands, common)
    _add_report_command(commands, common)
    return parser


def _add_digest_command(commands, common) -> None:
    digest = commands.add_parser(
        "digest", parents=[common], help="the steering group's digest: render it locally, sending nothing",
        description="Render the steering group's digest (text and chart) into a folder. Nothing is sent and "
                    "nothing is recorded.")
    digest.add_argument("--preview", action="store_true", required=True, help="render without sending (required)")
    digest.add_argument("--week", help="the ISO week of the digest, e.g. 2026-W48 (default: the newest one due)")
    digest.add_argument("--out", default=".", help="the folder for the text and the chart (default: here)")
    digest.add_argument("--lang", choices=LANGUAGES, help="the language (default: WAAKZAAM_DEFAULT_LANGUAGE)")
    digest.add_argument("--demo", action="store_true",
                        help="on a generated year of realistic data in a throw-away database, never the real one")


def _add_report_command(commands, common) -> None:
    report = commands.add_parser(
        "report", parents=[common], help="the quarterly table or the annual report, as HTML and PDF",
        description="Write the report of a period for the steering group and the works council: a self-contained "
                    "HTML file (charts inline, prints on A4, opens offline) and a PDF of it beside it. Its figures "
                    "are the digests' released figures; nothing is sent.")
    report.add_argument("--period", required=True, help="a year (2026) or a quarter (2026-Q3)")
    report.add_argument("--out", required=True, metavar="FILE",
                        help="the HTML file to write (report.html); the PDF goes beside it (report.pdf)")
    report.add_argument("--lang", choices=LANGUAGES, help="the language (default: WAAKZAAM_DEFAULT_LANGUAGE)")
    report.add_argument("--demo", action="store_true",
                        help="on a generated year of realistic data in a throw-away database, never the real one")


def _write_report(settings, report, lang: str, html_path: Path) -> tuple[Path, Path]:
    doc = report_render.document(report, lang, Charter.load(), settings.departments,
                                 settings.contact_hours)
    html, pdf = report_render.files(doc)
    pdf_path = html_path.with_suffix(".pdf")
    html_path.parent.mkdir(parents=True, exist_ok=True)
    html_path.write_text(html, encoding="utf-8")
    pdf_path.write_bytes(pdf)
    return html_path, pdf_path


async def _report(settings, args) -> int:
    """`waakzaam report --period P --out FILE [--lang L] [--demo]`: the HTML and its PDF."""
    period = calendar.parse_period(args.period)
    if period is None or period.kind == "month":
        _say(f"--period {args.period!r} is not a year (2026) or a quarter (2026-Q3).")
        return 2
    out = Path(args.out).expanduser()
    if out.suffix.lower() == ".pdf":
        _say("--out names the HTML file (report.html); the PDF is written beside it.")
        return 2
    html_path = out if out.suffix.lower() in (".html", ".htm") else out.with_suffix(".html")
    lang = args.lang or settings.default_language

    async def write(report):
        return await asyncio.to_thread(_write_report, settings, report, lang, html_path)

    if args.demo:
        logging.getLogger("bot.steering.digest").setLevel(logging.WARNING)  # the demo's own digests are not news
        logging.getLogger("bot.steering.actions").setLevel(logging.WARNING)
        written = await run_demo(settings, period, lang=lang, render=write)
    else:
        if (core := await _open_existing(settings, "report", "a report")) is None:
            return 2
        try:
            report = await Reports(core, PeriodReleases(core)).build(period)
            written = await write(report)
        except NotReleased as exc:
            _say(_not_released(exc, core.calendar.today()))
            return 2
        finally:
            await core.close()
    print(f"waakzaam: wrote {written[0]}")
    print(f"waakzaam: wrote {written[1]}")
    return 0


def _not_released(exc: NotReleased, today) -> str:
    """One line: why a period has no report (yet)."""
    label = exc.period.label
    if exc.due is None:
        start = f" (they start on {exc.start.isoformat()})" if exc.start else ""
        return f"{label} has no released figures{start}, so there is no report of it."
    if not exc.period.closed(today):
        return (f"{label} is not closed yet: its figures are counted on {exc.due.isoformat()} and released with the "
                "first digest on or after that day.")
    return f"{label} is closed but not released yet: its figures come with the first digest on or after {exc.due.isoformat()}."


async def _open_existing(settings: Settings, verb: str, demo: str) -> Core | None:
    """The database for a command that only reads it, or None after saying why not."""
    if not settings.db_path.exists():
        _say(f"there is no database at {settings.db_path} yet, so nothing to {verb}. "
             f"Try --demo to see {demo} on generated data.")
        return None
    try:
        return await open_core(settings)
    except StartupError as exc:
        _say(str(exc))
        return None


async def _digest_preview(settings, args) -> int:
    """`waakzaam digest --preview [--week W] [--out DIR] [--lang L] [--demo]`: a text file and a PNG."""
    if args.week and parse_week(args.week) is None:
        _say(f"--week {args.week!r} is not an ISO week such as 2026-W48.")
        return 2
    if args.demo:
        logging.getLogger("bot.steering.digest").setLevel(logging.WARNING)  # the demo's own digests are not news
        published, text, chart = await demo(settings, week=args.week, lang=args.lang)
    else:
        if (core := await _open_existing(settings, "preview", "a digest")) is None:
            return 2
        try:
            published, text, chart = await Services(core).digests.preview(args.week, args.lang)
        finally:
            await core.close()
    out = Path(args.out).expanduser()
    out.mkdir(parents=True, exist_ok=True)
    name = f"digest-{published.week}-{args.lang or settings.default_language}"
    (out / f"{name}.txt").write_text(text + "\n", encoding="utf-8")
    print(text)
    print(f"\nwaakzaam: wrote {out / (name + '.txt')}")
    if chart is not None:
        (out / f"{name}.png").write_bytes(chart)
        print(f"waakzaam: wrote {out / (name + '.png')}")
    else:
        print("waakzaam: no chart: nothing in this window can be shown")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    command = args.command or "run"
    if command == "run" and args.command is None:
        args.webhook = args.listen = args.port = None
    if not (PROJECT_DIR / "migrations").is_dir() or not (PROJECT_DIR / "charter").is_dir():
        _say(f"cannot find migrations/ and charter/ in {PROJECT_DIR}: install Waakzaam from a clone of its repository "
             "(pip install -e .), as scripts/start does.")
        return 2
    try:
        settings = load_settings(require_token=command in ("run", "invite"), strict=command != "check")
    except SettingsError as exc:
        if command == "check":
            print(f"FAIL {exc}")
            return 1
        _say(str(exc))
        return 2
    logs.configure(settings.log_level, getattr(args, "log_format", None) or settings.log_format)
    if settings.env_file and (warning := env_file_warning(settings.env_file)) and command != "check":
        log.warning(warning)
    try:
        return _dispatch(command, settings, args)
    except KeyboardInterrupt:
        if command == "restore":
            _say("restore interrupted: the database is the old one or the restored one, never none; the next start, "
                 "or `waakzaam restore --resume`, finishes or undoes it.")
        else:
            _say(f"{command} interrupted; nothing is half done"
                 + (": run it again to finish the rotation." if command == "rotate-key" else "."))
        return 130


def _dispatch(command: str, settings, args) -> int:
    if command == "invite":
        return _invite(settings, INVITE_ROLES[args.role])
    if command == "check":
        return _check(settings, args.offline, args.live)
    if command == "backup":
        return _backup(settings, args.path)
    if command == "restore":
        return _restore(settings, args.path, args.force, args.resume)
    if command == "rotate-key":
        return _rotate_locked(settings, max(1, args.batch))
    if command == "digest":
        return asyncio.run(_digest_preview(settings, args))
    if command == "report":
        return asyncio.run(_report(settings, args))
    return _run(settings, args)


if __name__ == "__main__":
    sys.exit(main())
