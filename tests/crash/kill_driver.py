"""The real bot as a subprocess against the double: set-up, a conversation under SIGKILL, the verdict.

    config = KillConfig.from_env()                  # CRASH_MESSAGES, CRASH_KILLS, CRASH_SEED, ...
    verdict = run_kill_test(tmp_path, config)
    print(verdict.summary())
    assert verdict.ok, verdict.report()

The set-up is the one a real deployment goes through: a member invitation from the
CLI (``python -m bot invite member``), the listener accepts the charter and fills in
the profile, an employee asks through the wizard, the listener claims. Then both send
numbered, unique texts at a realistic pace while the bot is SIGKILLed at seeded random
moments and restarted at once; people keep typing while it is down (the double queues
their updates, as Telegram does). At the end the bot runs until quiet and is stopped
with SIGINT.

Copies of a relayed text are counted in the other person's chat. A copy whose text
starts with ``🔁`` is *marked* as a possible repeat; at most one copy may be unmarked.

The listener holds two conversations, so each text of theirs is a Telegram reply to the
employee's latest message they see (the bot must find the conversation from it, also when that
message is a first copy whose id it never recorded), and now and then they open /cases, whose
direct answers (a header and a card per conversation) are counted the same way: each one
arrives, at most one copy unmarked.
"""
from __future__ import annotations

import atexit
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import hermetic
import launcher
from double import BotMessage, Call, SimUser, TelegramDouble, UpdateRecord
from matching import stop_process

REPO_ROOT = Path(__file__).resolve().parents[2]
DEPARTMENTS = ("Production", "Logistics", "Office")
LISTENER_NAME = "Jozef Vermeulen"
MARK = "🔁"
ERROR_LINE = re.compile(r"Traceback \(most recent call last\)|\b(ERROR|CRITICAL)\b")

_live: set[BotProcess] = set()


@atexit.register
def _stop_leftovers() -> None:
    # An interrupted run must not leave bot processes behind.
    for proc in list(_live):
        proc.kill()


# ---------------------------------------------------------------------------------------
# The bot process


def bot_env(double: TelegramDouble, tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment the bot runs with: our settings only, nothing from the caller's shell."""
    (tmp_path / "data").mkdir(mode=0o700, parents=True, exist_ok=True)  # a database is made only in a folder that is there
    env = hermetic.environ()
    env.update({
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")])),
        "PYTHONUNBUFFERED": "1",
        "TELEGRAM_BOT_TOKEN": double.token,
        "TELEGRAM_API_BASE_URL": double.api_base_url,
        "WAAKZAAM_DB": str(tmp_path / "data" / "waakzaam.db"),
        "WAAKZAAM_KEY_FILE": str(tmp_path / "keys" / "master.key"),
        "WAAKZAAM_POLL_INTERVAL": "0.05",
        "WAAKZAAM_DEPARTMENTS": ",".join(DEPARTMENTS),
        **extra,
    })
    return env


def cli(env: Mapping[str, str], *args: str, cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    # cwd is a scratch folder: the bot reads `.env` from its working directory, and a
    # developer's own .env must not leak into the test.
    return launcher.run([sys.executable, "-m", "bot", *args], cwd=cwd, env=dict(env), capture_output=True,
                        text=True, timeout=timeout)


def invite_from_cli(env: Mapping[str, str], role: str, cwd: Path) -> str:
    """``python -m bot invite <role>``: the code from the t.me link it prints."""
    out = cli(env, "invite", role, cwd=cwd)
    assert out.returncode == 0, f"invite failed ({out.returncode}): {out.stderr}"
    link = re.search(r"https://t\.me/\w+\?start=(\S+)", out.stdout)
    assert link, f"no t.me link in {out.stdout!r}"
    return link[1]


class BotProcess:
    """``python -m bot run`` as a process of its own, forked from the suite's launcher (so an
    incarnation starts in milliseconds, not after a second of imports: tests/launcher.py); each
    (re)start is an incarnation with its own log."""

    def __init__(self, env: Mapping[str, str], workdir: Path) -> None:
        self.env = dict(env)
        self.poll_interval = float(self.env.get("WAAKZAAM_POLL_INTERVAL", "0") or 0)
        self.workdir = workdir
        self.logs: list[Path] = []
        self.exits: list[int | None] = []  # return code of each ended incarnation
        self.killed: list[bool] = []  # whether we SIGKILLed it
        self._proc: launcher.Popen | None = None

    @property
    def incarnation(self) -> int:
        return len(self.logs)

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def start(self, poll_interval: float | None = None) -> BotProcess:
        """Start an incarnation (optionally with another WAAKZAAM_POLL_INTERVAL)."""
        if self.running:
            raise RuntimeError("the bot is running already")
        if poll_interval is not None:
            self.poll_interval = poll_interval
            self.env["WAAKZAAM_POLL_INTERVAL"] = str(poll_interval)
        log = self.workdir / f"bot-{len(self.logs) + 1:03d}.log"
        self.logs.append(log)
        with open(log, "wb") as out:
            self._proc = launcher.Popen([sys.executable, "-m", "bot", "run"], cwd=self.workdir, env=self.env,
                                        stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        _live.add(self)
        return self

    def _ended(self, killed: bool) -> int | None:
        assert self._proc is not None
        self.exits.append(self._proc.returncode)
        self.killed.append(killed)
        self._proc = None
        _live.discard(self)
        return self.exits[-1]

    def kill(self) -> int | None:
        """SIGKILL: no clean-up of any kind, as when the machine or the OOM killer stops it."""
        if self._proc is None:
            return None
        was_running = self._proc.poll() is None
        if was_running:
            self._proc.send_signal(signal.SIGKILL)
        self._proc.wait()
        return self._ended(killed=was_running)

    def stop(self, timeout: float = 20.0) -> int | None:
        """SIGINT (the bot's graceful stop), then SIGKILL after ``timeout`` seconds."""
        if self._proc is None:
            return None
        stop_process(self._proc, timeout)
        return self._ended(killed=False)

    def exited_by_itself(self) -> bool:
        """The running incarnation ended without us (a crash at start-up, say)."""
        return self._proc is not None and self._proc.poll() is not None

    def log_text(self, incarnation: int | None = None) -> str:
        paths = self.logs if incarnation is None else [self.logs[incarnation - 1]]
        return "\n".join(p.read_text(errors="replace") for p in paths if p.exists())

    def error_lines(self) -> list[tuple[int, str]]:
        """(incarnation, line) for every traceback / ERROR / CRITICAL line of every incarnation.

        A SIGKILL leaves nothing in the log but a possibly unfinished last line; nothing
        else is expected at a kill boundary, so every match is reported.
        """
        found = []
        for n, path in enumerate(self.logs, 1):
            if path.exists():
                found += [(n, line) for line in path.read_text(errors="replace").splitlines() if ERROR_LINE.search(line)]
        return found

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_text(self.incarnation).splitlines()[-lines:]) if self.logs else ""


def wait_until_polling(double: TelegramDouble, bot: BotProcess, since: float, timeout: float = 60.0) -> None:
    """Until the bot started at monotonic time ``since`` polls; fails early if it exits."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            double.wait_for_poll(after=since, timeout=0.5)
            return
        except AssertionError:
            pass
        if bot.exited_by_itself():
            raise AssertionError(f"the bot exited before polling:\n{bot.tail()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"the bot did not poll within {timeout}s:\n{bot.tail()}")


# ---------------------------------------------------------------------------------------
# People


def has_button(data: str):
    def check(m: BotMessage) -> bool:
        return data in m.button_data
    check.__name__ = f"a button {data!r}"
    return check


def join_as_listener(listener: SimUser, code: str, name: str = LISTENER_NAME, timeout: float = 20.0) -> None:
    """Redeem a member invitation, accept the charter and fill in the profile."""
    listener.send(f"/start {code}")
    charter = listener.wait_for(has_button("charter:yes"), timeout)
    listener.press(charter, "charter:yes")
    listener.wait_for("How should colleagues", timeout)
    listener.send(name)
    step = listener.wait_for(has_button("prof:g:man"), timeout)
    for data, following in (("prof:g:man", "prof:a:35to50"), ("prof:a:35to50", "prof:s:worker"),
                            ("prof:s:worker", "prof:hr:0"), ("prof:hr:0", "prof:d:0"), ("prof:d:0", "prof:l:en:1")):
        listener.press(step, data)
        step = listener.wait_for_edit(step, has_button(following), timeout)
    listener.press(step, "prof:l:en:1")
    step = listener.wait_for_edit(step, lambda m: "✓ English" in m.button_texts, timeout)
    listener.press(step, "prof:l:done")
    listener.wait_for_edit(step, "profile is ready", timeout)


def ask_for_conversation(employee: SimUser, first_message: str | None = None, timeout: float = 20.0) -> str:
    """The request wizard, without wishes; returns the request's reference."""
    employee.send("/start")
    menu = employee.wait_for(has_button("ask:start"), timeout)
    employee.press(menu, "ask:start")
    menu = employee.wait_for("comfortable", timeout)  # the wizard is a new message
    employee.press(menu, "ask:next")
    menu = employee.wait_for_edit(menu, "speaks your language", timeout)
    employee.press(menu, "ask:w:1")
    menu = employee.wait_for_edit(menu, "department", timeout)
    employee.press(menu, "ask:dep:1")
    menu = employee.wait_for_edit(menu, "first message", timeout)
    if first_message:
        employee.send(first_message)
        confirmation = employee.wait_for("has been received", timeout)
    else:
        employee.press(menu, "ask:send")
        confirmation = employee.wait_for_edit(menu, "has been received", timeout)
    return re.search(r"request (\w{5})", confirmation.text)[1]


def claim(listener: SimUser, employee: SimUser, ref: str, timeout: float = 20.0) -> None:
    offer = listener.wait_for(has_button(f"claim:{ref}"), timeout)
    listener.press(offer, f"claim:{ref}")
    listener.wait_for_edit(offer, "You took the request of", timeout)
    employee.wait_for(f"{LISTENER_NAME} from the vigilance network has taken your request", timeout)


def copies_of(inbox: Iterable[BotMessage], text: str) -> list[BotMessage]:
    """Relayed copies of ``text``: "💬 <author>:\\n<text>", possibly marked with a leading 🔁."""
    return [m for m in inbox if "💬 " in m.text and m.text.endswith("\n" + text)]


HEADER = "Your open conversations"
ABOUT = "This bot puts you in touch"
PLACES = "Other places where you can find help"
WHICH = "Which conversation is this message for?"
COMMANDS = ("/cases", "/help")  # the listener's commands that answer several times, typed in turn


def _unmarked(text: str) -> str:
    return text.partition("\n")[2] if text.startswith(MARK) else text


def relayed_from(inbox: Iterable[BotMessage], ref: str) -> list[BotMessage]:
    """Copies of what the other side of conversation ``ref`` wrote ("💬 Colleague <ref>:")."""
    return [m for m in inbox if _unmarked(m.text).startswith("💬 ") and ref in _unmarked(m.text).split("\n")[0]]


def _answer_part(text: str, buttons: Iterable[str]) -> tuple[str, str] | None:
    """(command, part) when a message is one of the answers of /cases (its header, a card by its
    conversation) or of /help (its two parts); None for anything else."""
    text = _unmarked(text)
    if text.startswith(HEADER):
        return "/cases", "header"
    if cards := [d.partition(":")[2] for d in buttons if d.startswith("close:")]:
        return "/cases", cards[0]
    if text.startswith(ABOUT):
        return "/help", "about"
    if text.startswith(PLACES):
        return "/help", "places"
    return None


def _direct_answer(call: Call) -> bool:
    """A sendMessage that is one of the direct answers counted here."""
    return "close:" in str(call.params.get("reply_markup", "")) or _answer_part(str(call.params.get("text", "")), ()) \
        is not None


@dataclass
class DirectAnswer:
    """What the listener read of one command's answers: copies of each part [unmarked, marked]."""

    command: str
    parts: dict[str, list[int]] = field(default_factory=dict)

    def add(self, part: str, marked: bool) -> None:
        self.parts.setdefault(part, [0, 0])[marked] += 1

    def missing(self, refs: Iterable[str]) -> list[str]:
        expected = ("header", *refs) if self.command == "/cases" else ("about", "places")
        return [part for part in expected if part not in self.parts]

    @property
    def unmarked_repeats(self) -> int:
        return sum(max(0, unmarked - 1) for unmarked, _ in self.parts.values())

    @property
    def marked(self) -> int:
        return sum(marked for _, marked in self.parts.values())

    def __str__(self) -> str:
        return f"{self.command} " + ", ".join(f"{part} {u}+{m}🔁" for part, (u, m) in self.parts.items())


FIRST_PART = {"/cases": "header", "/help": "about"}


def direct_answers(inbox: Iterable[BotMessage]) -> list[DirectAnswer]:
    """The listener's chat read as the answers of their commands, in order. The commands are typed
    in turn (/cases, /help, /cases...) and the bot keeps a person's messages in the order they were
    said, copies sent again after a restart before anything said later: so each run of one
    command's parts is the whole answer to one of them, however often a part went again.

    One thing may come out of step: a request the killed bot had written just before it died can
    reach Telegram after its next incarnation's first messages (as it can on a real network).
    So a part that is not an answer's first part, read after another command's answer began, is
    counted with the latest answer of its command; and an unmarked copy is counted with an
    earlier answer of its command whose copies of that part were all marked, rather than as a
    second unmarked copy (that was its original, which arrived late). A late first part shows as
    an answer too many, and the verdict then falls back to counting (Verdict.direct_in_step)."""
    answers: list[DirectAnswer] = []
    for message in inbox:
        found = _answer_part(message.text, message.button_data)
        if found is None:
            continue
        command, part = found
        marked = message.text.startswith(MARK)
        if answers and answers[-1].command == command:
            target = answers[-1]
        elif part == FIRST_PART[command] or not any(a.command == command for a in answers):
            target = DirectAnswer(command)
            answers.append(target)
        else:  # a late copy of an earlier answer: it reached Telegram after later ones
            target = next(a for a in reversed(answers) if a.command == command)
        if not marked and target.parts.get(part, [0, 0])[0]:
            late = [a for a in answers if a.command == command and a is not target
                    and a.parts.get(part, [0, 0]) != [0, 0] and not a.parts[part][0]]
            target = late[-1] if late else target
        target.add(part, marked)
    return answers


# ---------------------------------------------------------------------------------------
# The kill test


def _env_number(name: str, default: float, kind=float):
    raw = os.environ.get(name, "").strip()
    return kind(raw) if raw else default


@dataclass(frozen=True)
class KillConfig:
    messages: int = 40  # per side
    kills: int = 20
    seed: int = 20260101
    kill_min: float = 0.5  # seconds from a (re)start to the next SIGKILL
    kill_max: float = 3.5
    # Share of kills aimed at a moment that matters instead of any moment (see schedule()).
    aimed: float = 2 / 3
    # WAAKZAAM_POLL_INTERVAL of each incarnation, drawn from these (the first for the first
    # one). 0 is the bot's default: PTB confirms a batch at once, before handling it. With
    # 0.05 the next getUpdates comes 50 ms later, mostly after the handling.
    poll_intervals: tuple[float, ...] = (0.05, 0.0)
    # The double answers every call this many seconds late (uniform): Telegram's round trip.
    latency: tuple[float, float] = (0.03, 0.12)
    quiet: float = 4.0  # the bot is done when it made no call but getUpdates for this long
    drain_timeout: float = 120.0
    cases_every: float = 5.0  # the listener opens /cases this often, and /help in between (seconds; 0: never)

    @classmethod
    def from_env(cls) -> KillConfig:
        """CRASH_MESSAGES, CRASH_KILLS, CRASH_SEED, CRASH_KILL_MIN, CRASH_KILL_MAX, CRASH_AIMED,
        CRASH_POLL_INTERVALS (comma-separated), CRASH_LATENCY_MIN, CRASH_LATENCY_MAX, CRASH_QUIET,
        CRASH_DRAIN_TIMEOUT, CRASH_CASES_EVERY."""
        base = cls()
        raw_polls = os.environ.get("CRASH_POLL_INTERVALS", "").strip()
        return cls(
            messages=_env_number("CRASH_MESSAGES", base.messages, int),
            kills=_env_number("CRASH_KILLS", base.kills, int),
            seed=_env_number("CRASH_SEED", base.seed, int),
            kill_min=_env_number("CRASH_KILL_MIN", base.kill_min),
            kill_max=_env_number("CRASH_KILL_MAX", base.kill_max),
            aimed=_env_number("CRASH_AIMED", base.aimed),
            poll_intervals=tuple(float(p) for p in raw_polls.split(",") if p.strip()) or base.poll_intervals,
            latency=(_env_number("CRASH_LATENCY_MIN", base.latency[0]), _env_number("CRASH_LATENCY_MAX", base.latency[1])),
            quiet=_env_number("CRASH_QUIET", base.quiet),
            drain_timeout=_env_number("CRASH_DRAIN_TIMEOUT", base.drain_timeout),
            cases_every=_env_number("CRASH_CASES_EVERY", base.cases_every),
        )

    @property
    def duration(self) -> float:
        """How long people type: about as long as the kills take (an aimed kill waits ~0.5 s)."""
        return max(5.0, self.kills * ((self.kill_min + self.kill_max) / 2 + 0.5 * self.aimed))


@dataclass(frozen=True)
class Send:
    at: float  # seconds from the start of the exchange
    side: str  # "E" employee, "L" listener (a reply to the employee's latest message), "C" a listener's command
    text: str


@dataclass(frozen=True)
class Kill:
    after: float  # seconds after the previous (re)start
    mode: str  # "any", "fetch", "confirm" or "send": see schedule()
    fraction: float  # where in the mode's window (0..1) the SIGKILL lands
    next_poll_interval: float  # WAAKZAAM_POLL_INTERVAL of the incarnation started after this kill


AIMED_MODES = ("fetch", "confirm", "send")


def schedule(config: KillConfig) -> tuple[list[Send], list[Kill]]:
    """The whole exchange from the seed: who types what when, and when the bot dies.

    People type in bursts ("hi" - "are you there?" - "I need to talk"), a burst's
    messages 0.15-0.6 s apart, bursts spread over the run. A kill comes 0.5-3.5 s after
    the previous start. Even with the double's latency a bot is mostly idle, so kills at
    any moment ("any") mostly test little. A share ``aimed`` of the kills therefore
    waits, once due, for a moment that matters, and lands at a random point of its window:

    * "fetch": within 250 ms after getUpdates handed the bot updates, while it handles
      them (confirmed before handled: lost; handled before confirmed: handed out again);
    * "confirm": within 20 ms after a getUpdates call confirmed updates, so that Telegram
      has forgotten them and only the bot has them;
    * "send": between the moment Telegram took a relayed message (or an answer of /cases) and a
      few ms after the answer reached the bot (the bot cannot know it was sent: it may send it
      again).
    """
    rng = random.Random(config.seed)
    sends: list[Send] = []
    for side in ("E", "L"):
        sizes: list[int] = []
        while sum(sizes) < config.messages:
            sizes.append(min(rng.choice((1, 1, 2, 2, 3, 4)), config.messages - sum(sizes)))
        starts = sorted(rng.uniform(0.2, config.duration) for _ in sizes)
        n = 0
        for start, size in zip(starts, sizes):
            at = start
            for _ in range(size):
                n += 1
                sends.append(Send(at, side, f"{side}{n:03d} {rng.getrandbits(32):08x}"))
                at += rng.uniform(0.15, 0.6)
    if config.cases_every > 0:  # /cases and /help in turn
        at, n = 1.0, 0
        while at < config.duration:
            sends.append(Send(at, "C", COMMANDS[n % len(COMMANDS)]))
            at, n = at + config.cases_every / len(COMMANDS), n + 1
    kills = []
    for _ in range(config.kills):
        after = rng.uniform(config.kill_min, config.kill_max)
        mode = "any" if rng.random() >= config.aimed else rng.choice(AIMED_MODES)
        kills.append(Kill(after, mode, rng.random(), rng.choice(config.poll_intervals)))
    return sorted(sends, key=lambda s: s.at), kills


@dataclass
class TextFate:
    side: str
    text: str
    copies: int
    marked: int
    handed_out: int  # how often the double handed the update carrying it to the bot
    confirmed: bool
    sends: int  # sendMessage calls that carried it and got a 200

    @property
    def unmarked(self) -> int:
        return self.copies - self.marked

    @property
    def lost(self) -> bool:
        return self.copies == 0

    def cause(self) -> str:
        if self.lost:
            if self.handed_out == 0:
                return "never fetched by the bot"
            if self.confirmed:
                return f"fetched {self.handed_out}x, confirmed by the next getUpdates, never handled"
            return f"fetched {self.handed_out}x, not confirmed, not handled"
        if self.unmarked > 1:
            why = []
            if self.handed_out > 1:
                why.append("the update came again after a kill and was handled again")
            if self.sends > self.handed_out:
                why.append("a relay that had reached Telegram was sent again")
            return f"handed out {self.handed_out}x, relayed {self.sends}x: " + (" and ".join(why) or "?")
        return "ok"


@dataclass
class Verdict:
    config: KillConfig
    fates: list[TextFate]
    kills: int
    kill_modes: dict[str, int]
    incarnations: int
    errors: list[tuple[int, str]]
    unexpected_exits: list[tuple[int, int | None]]
    final_exit: int | None
    double_errors: list[str]
    seconds: float
    calls: dict[str, int] = field(default_factory=dict)
    commands: list[str] = field(default_factory=list)  # the listener's /cases and /help, in order
    answers: list[DirectAnswer] = field(default_factory=list)  # what they read of them, in order
    refs: tuple[str, ...] = ()
    asked_which: int = 0                  # "Which conversation is this message for?" asked of the listener
    direct_sequence: list[str] = field(default_factory=list)  # every direct answer's copy as read, in order

    @property
    def lost(self) -> list[TextFate]:
        return [f for f in self.fates if f.lost]

    @property
    def direct_in_step(self) -> bool:
        """Each command's answers read apart (else they are judged by counting, per part)."""
        return [a.command for a in self.answers] == self.commands

    def _per_part(self) -> dict[tuple[str, str], list[int]]:
        """Per (command, part): [copies read unmarked, all copies read]."""
        totals: dict[tuple[str, str], list[int]] = {}
        for answer in self.answers:
            for part, (unmarked, marked) in answer.parts.items():
                counted = totals.setdefault((answer.command, part), [0, 0])
                counted[0] += unmarked
                counted[1] += unmarked + marked
        return totals

    @property
    def direct_lost(self) -> list[str]:
        """Direct answers nobody read: "2 /help: places" (or, out of step, a part read fewer times
        than its command was typed)."""
        if self.direct_in_step:
            return [f"{n} {answer.command}: {part}" for n, answer in enumerate(self.answers, 1)
                    for part in answer.missing(self.refs)]
        totals = self._per_part()
        expected = [(command, part) for command in dict.fromkeys(self.commands)
                    for part in (("header", *self.refs) if command == "/cases" else ("about", "places"))]
        return [f"{command}: {part} read {totals.get((command, part), [0, 0])[1]}x for {self.commands.count(command)}"
                for command, part in expected if totals.get((command, part), [0, 0])[1] < self.commands.count(command)]

    @property
    def direct_unmarked(self) -> int:
        """Copies of a direct answer beyond the first unmarked one that are unmarked (out of step:
        unmarked copies of a part beyond one per time its command was typed)."""
        if self.direct_in_step:
            return sum(answer.unmarked_repeats for answer in self.answers)
        return sum(max(0, unmarked - self.commands.count(command))
                   for (command, _), (unmarked, _) in self._per_part().items())

    @property
    def direct_read(self) -> int:
        return sum(sum(copies) for answer in self.answers for copies in answer.parts.values())

    @property
    def unmarked_duplicates(self) -> list[TextFate]:
        return [f for f in self.fates if f.unmarked > 1]

    @property
    def ok(self) -> bool:
        return (not self.lost and not self.unmarked_duplicates and not self.errors and not self.unexpected_exits
                and self.final_exit == 0 and not self.double_errors and not self.direct_lost
                and not self.direct_unmarked and not self.asked_which)

    def summary(self) -> str:
        sent = len(self.fates)
        delivered = sum(1 for f in self.fates if not f.lost)
        marked = sum(f.marked for f in self.fates)
        unmarked_extra = sum(max(0, f.unmarked - 1) for f in self.fates)
        return (f"kill test: sent {sent}, delivered {delivered}, lost {len(self.lost)} "
                f"({100 * len(self.lost) / max(1, sent):.1f}%), duplicates marked {marked} / unmarked "
                f"{unmarked_extra} (in {len(self.unmarked_duplicates)} texts); direct answers of "
                f"{len(self.commands)} /cases and /help: {self.direct_read} read"
                f"{'' if self.direct_in_step else ' (out of step: counted)'}, lost {len(self.direct_lost)}, "
                f"marked {sum(a.marked for a in self.answers)} / unmarked {self.direct_unmarked}; "
                f"'which conversation?' {self.asked_which}; kills {self.kills} "
                f"({', '.join(f'{k} {v}' for k, v in sorted(self.kill_modes.items()))}), "
                f"error lines {len(self.errors)}, {self.seconds:.0f}s, seed {self.config.seed}")

    def report(self) -> str:
        c = self.config
        lines = [self.summary(),
                 f"  config: {c.messages} texts per side, {c.kills} kills every {c.kill_min}-{c.kill_max} s "
                 f"({c.aimed:.0%} aimed), poll intervals {c.poll_intervals}, latency {c.latency} s; "
                 f"{self.incarnations} incarnations; calls {self.calls}"]
        for f in self.lost:
            lines.append(f"  lost {f.text!r} ({'employee' if f.side == 'E' else 'listener'}): {f.cause()}")
        for f in self.unmarked_duplicates:
            lines.append(f"  {f.unmarked} unmarked copies of {f.text!r}: {f.cause()}")
        for lost in self.direct_lost:
            lines.append(f"  direct answer never read: {lost}")
        if self.direct_lost or self.direct_unmarked:
            lines.append(f"  direct answers as read: {' '.join(self.direct_sequence)}")
        for n, answer in enumerate(self.answers, 1):
            if answer.unmarked_repeats or (self.direct_lost and answer.missing(self.refs)):
                lines.append(f"  direct answer {n} as read: {answer}")
        if self.asked_which:
            lines.append(f"  the listener was asked {self.asked_which}x which conversation a reply was for")
        for n, line in self.errors[:30]:
            lines.append(f"  log of incarnation {n}: {line[:200]}")
        if len(self.errors) > 30:
            lines.append(f"  ... {len(self.errors) - 30} more error lines")
        for n, code in self.unexpected_exits:
            lines.append(f"  incarnation {n} exited by itself with {code}")
        if self.final_exit != 0:
            lines.append(f"  the last incarnation stopped with {self.final_exit} after SIGINT")
        lines += [f"  double: {e}" for e in self.double_errors]
        return "\n".join(lines)


class Setup:
    """Double, bot, listener and employee, up to an open conversation (the smoke test's path too)."""

    def __init__(self, tmp_path: Path, double: TelegramDouble, poll_interval: float = 0.05) -> None:
        self.tmp_path, self.double = tmp_path, double
        self.workdir = tmp_path / "run"
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.env = bot_env(double, tmp_path, WAAKZAAM_POLL_INTERVAL=str(poll_interval))
        self.bot = BotProcess(self.env, self.workdir)
        rng = random.Random(7)
        self.listener = double.user(6_100_000_000 + rng.randrange(10**6), first_name="Jozef", language_code="en")
        self.employee = double.user(6_200_000_000 + rng.randrange(10**6), first_name="Ilse", last_name="Wouters",
                                    username="ilse_w", language_code="en")
        self.other = double.user(6_300_000_000 + rng.randrange(10**6), first_name="Ruben", language_code="en")
        self.ref = self.other_ref = ""

    def start_bot(self, timeout: float = 60.0) -> None:
        since = time.monotonic()
        self.bot.start()
        wait_until_polling(self.double, self.bot, since, timeout)

    def open_conversation(self, first_message: str) -> str:
        code = invite_from_cli(self.env, "member", self.workdir)
        self.start_bot()
        join_as_listener(self.listener, code)
        self.ref = ask_for_conversation(self.employee, first_message)
        claim(self.listener, self.employee, self.ref)
        return self.ref

    def open_second_conversation(self, first_message: str) -> str:
        """A second colleague's request, claimed by the same listener: from now on the bot must
        find which conversation a listener's text is for."""
        self.other_ref = ask_for_conversation(self.other, first_message)
        claim(self.listener, self.other, self.other_ref)
        self.listener.wait_for("\n" + first_message)
        return self.other_ref


class _Killer(threading.Thread):
    """Kills and restarts the bot by the schedule, while the people thread keeps typing."""

    AIM_TIMEOUT = 2.0  # an aimed kill waits at most this long for its moment, then kills anyway

    def __init__(self, double: TelegramDouble, bot: BotProcess, kills: list[Kill]) -> None:
        super().__init__(name="killer", daemon=True)
        self.double, self.bot, self.plan = double, bot, kills
        self.done: list[tuple[Kill, bool]] = []  # (kill, whether its moment came)
        self.unexpected: list[tuple[int, int | None]] = []
        self.last_start = time.monotonic()
        self.failure: BaseException | None = None
        self._halt = threading.Event()

    def stop(self) -> None:
        self._halt.set()

    def run(self) -> None:
        try:
            for kill in self.plan:
                if self._halt.wait(max(0.0, self.last_start + kill.after - time.monotonic())):
                    return
                aimed = self._wait_for_moment(kill)
                if self.bot.exited_by_itself():
                    self.unexpected.append((self.bot.incarnation, self.bot.kill()))
                elif self.bot.kill() is not None:
                    self.done.append((kill, aimed))
                self.last_start = time.monotonic()
                self.bot.start(kill.next_poll_interval)  # at once; people keep typing while it starts
        except BaseException as exc:  # noqa: BLE001 - reported by run_kill_test
            self.failure = exc

    def _wait_for_moment(self, kill: Kill) -> bool:
        if kill.mode == "any":
            return True
        moment = threading.Event()
        when: list[float] = []  # monotonic time at which to kill

        def observe(event: str, call: Call, payload) -> None:
            if moment.is_set():
                return
            now = time.monotonic()
            if kill.mode == "fetch" and event == "answered" and call.method == "getUpdates" and payload:
                when.append(now + kill.fraction * 0.25)
            elif kill.mode == "confirm" and event == "confirmed":
                when.append(now + kill.fraction * 0.02)
            elif (kill.mode == "send" and event == "processed" and call.method == "sendMessage"
                  and ("💬" in str(call.params.get("text", "")) or _direct_answer(call))):
                when.append(now + kill.fraction * (call.latency + 0.005))
            else:
                return
            moment.set()

        self.double.add_observer(observe)
        try:
            came = moment.wait(self.AIM_TIMEOUT)
        finally:
            self.double.remove_observer(observe)
        if came:
            left = when[0] - time.monotonic()
            if left > 0:
                time.sleep(left)
        return came


def run_kill_test(tmp_path: Path, config: KillConfig, *, log=print) -> Verdict:
    started = time.monotonic()
    double = TelegramDouble(latency_seed=config.seed).start()
    setup = Setup(tmp_path, double, poll_interval=config.poll_intervals[0])
    bot = setup.bot
    killer: _Killer | None = None
    try:
        first = "Ik wil graag eens praten"
        setup.open_conversation(first)
        setup.listener.wait_for("\n" + first)
        setup.open_second_conversation("Mag ik iets vragen")
        sends, kills = schedule(config)
        sides = {"E": setup.employee, "L": setup.listener, "C": setup.listener}
        double.latency = config.latency  # the set-up ran without, to be quick
        killer = _Killer(double, bot, kills)
        t0 = time.monotonic()
        killer.start()
        for send in sends:
            delay = t0 + send.at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            if send.side == "L":  # a Telegram reply to the employee's latest message they see
                latest = relayed_from(setup.listener.inbox(), setup.ref)
                setup.listener.send(send.text, reply_to=latest[-1] if latest else None)
            else:
                sides[send.side].send(send.text)
        killer.join()
        if killer.failure is not None:
            raise killer.failure
        # The last incarnation runs until it has nothing left to do.
        unexpected = list(killer.unexpected)
        if bot.exited_by_itself():
            unexpected.append((bot.incarnation, bot.kill()))
            killer.last_start = time.monotonic()
            bot.start()
        wait_until_polling(double, bot, killer.last_start, timeout=60)
        double.wait_until(lambda: not double.pending_updates() and time.monotonic() - double.last_activity
                          >= config.quiet, config.drain_timeout, "the bot to become quiet")
        if bot.exited_by_itself():
            unexpected.append((bot.incarnation, bot.kill()))
            final = None
        else:
            final = bot.stop()
        verdict = _judge(config, double, setup, sends, killer.done, bot, unexpected, final,
                         time.monotonic() - started)
        log(verdict.summary())
        return verdict
    finally:
        if killer is not None:
            killer.stop()
            killer.join(10)
        bot.kill()
        double.stop()


def _judge(config: KillConfig, double: TelegramDouble, setup: Setup, sends: list[Send],
           kills: list[tuple[Kill, bool]], bot: BotProcess, unexpected, final: int | None,
           seconds: float) -> Verdict:
    listener_inbox, employee_inbox = setup.listener.inbox(), setup.employee.inbox()
    updates_by_text: dict[tuple[int, str], UpdateRecord] = {}
    for record in double.updates:
        message = record.update.get("message")
        if message and "text" in message:
            updates_by_text[(message["chat"]["id"], message["text"])] = record
    relays: dict[str, int] = {}
    for call in double.calls_of("sendMessage"):
        if call.status == 200:
            body = str(call.params.get("text", "")).rpartition("\n")[2]
            relays[body] = relays.get(body, 0) + 1
    fates = []
    for send in sends:
        if send.side == "C":
            continue
        author, inbox = ((setup.employee, listener_inbox) if send.side == "E" else (setup.listener, employee_inbox))
        copies = copies_of(inbox, send.text)
        record = updates_by_text.get((author.id, send.text))
        fates.append(TextFate(
            send.side, send.text, len(copies), sum(1 for m in copies if m.text.startswith(MARK)),
            record.handed_out if record else 0, bool(record and record.confirmed_at is not None),
            relays.get(send.text, 0),
        ))
    modes = Counter(k.mode if aimed else f"{k.mode}-missed" for k, aimed in kills)
    return Verdict(config, fates, len(kills), dict(modes), bot.incarnation, bot.error_lines(), unexpected,
                   final, list(double.internal_errors), seconds, dict(double.calls),
                   commands=[send.text for send in sends if send.side == "C"],
                   answers=direct_answers(listener_inbox), refs=(setup.ref, setup.other_ref),
                   asked_which=sum(1 for m in listener_inbox if WHICH in m.text),
                   direct_sequence=[f"{'🔁' if m.text.startswith(MARK) else ''}{part[0]}:{part[1]}#{m.message_id}"
                                    for m in listener_inbox if (part := _answer_part(m.text, m.button_data))])


if __name__ == "__main__":  # a harsh run without pytest: PYTHONPATH=tests CRASH_KILLS=150 python tests/crash/kill_driver.py
    import tempfile

    with tempfile.TemporaryDirectory(prefix="waakzaam-kill-") as folder:
        result = run_kill_test(Path(folder), KillConfig.from_env(), log=lambda line: None)
        print(result.report())
    sys.exit(0 if result.ok else 1)
