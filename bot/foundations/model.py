"""The domain's nouns: people, listeners, requests, offers, messages, notes, payloads.

Plain frozen dataclasses, so the pure code (routing, the figures) can use them without
importing persistence, and the repositories in `storage/` only fill them in.
"""
from __future__ import annotations

import base64
import enum
import json
from dataclasses import dataclass, field
from datetime import date, datetime

UNCLAIMED = ("new", "offered")
OPEN = ("new", "offered", "claimed", "contacted")
HELD = ("claimed", "contacted")


class Result(enum.Enum):
    """What became of something a person asked the bot to do (one vocabulary for every service)."""

    OK = "ok"
    NOT_FOUND = "not_found"       # no such thing, or not this person's
    NOT_MEMBER = "not_member"     # the person is no (active) listener
    NOT_OFFERED = "not_offered"   # the listener was never offered this request
    NOT_ALLOWED = "not_allowed"   # the person lacks the role for it
    TAKEN = "taken"               # someone else claimed it first
    CLOSED = "closed"             # no longer open
    ALREADY = "already"           # done before (or already this person's)
    AT_CAP = "at_cap"             # the listener has as many open cases as they allow
    PAUSED = "paused"             # the listener is paused
    PENDING = "pending"           # saved; delivered once a listener claims the request
    UNKNOWN = "unknown"           # a choice that is not in the lists
    TOO_LONG = "too_long"
    EMPTY = "empty"
    INVALID = "invalid"           # malformed input (a date, a number)
    PAST = "past"                 # a date in the past
    EXPIRED = "expired"           # an invitation past its date
    USED = "used"                 # an invitation used before
    CANCELLED = "cancelled"       # an invitation a coordinator cancelled
    LAST = "last"                 # the last of its kind (the last coordinator cannot be removed)
    TOO_SOON = "too_soon"         # a decision that takes two people, before the person held their role long enough


@dataclass(frozen=True)
class Span:
    """Part of a listener's weekly hours, in the organisation's time zone (bot/network/hours.py)."""

    day: int    # 0 = Monday
    start: int  # minutes after midnight
    end: int    # exclusive, at most 1440


Hours = tuple[Span, ...]  # None where used: any time


@dataclass(frozen=True)
class Person:
    id: int
    language: str
    access_granted: bool
    roles: frozenset[str]

    @property
    def is_coordinator(self) -> bool:
        return "coordinator" in self.roles

    @property
    def is_steering(self) -> bool:
        return "steering" in self.roles


@dataclass(frozen=True)
class Member:
    """A volunteer listener. Profile fields are structured: they drive routing."""

    id: int
    person_id: int
    handle: str
    display_name: str | None
    gender: str | None
    age_band: str | None
    status: str | None
    department: str | None
    languages: tuple[str, ...]
    charter_accepted: bool
    profile_complete: bool
    max_open_cases: int
    paused_until: str | None
    left: bool
    open_cases: int = 0
    hours: Hours | None = None  # when they take offers and reminders; None: any time
    hr: bool = False            # works in HR: the employer's side, as a manager is

    @property
    def employer_side(self) -> bool:
        return self.hr or self.status == "manager"

    @property
    def active(self) -> bool:
        return self.charter_accepted and self.profile_complete and not self.left


@dataclass(frozen=True)
class Preferences:
    """Who the requester would be most at ease with (the conversation's language is on the
    request itself: it always counts)."""

    gender: str | None = None
    age_band: str | None = None
    status: str | None = None
    other_department: bool = False
    member_id: int | None = None
    not_employer_side: bool = False  # neither HR nor management (seed 004, 3536-3538)

    @property
    def narrows(self) -> bool:
        """Wishes about the listener that widening may set aside (not the department rule)."""
        return any((self.gender, self.age_band, self.status, self.member_id))


@dataclass(frozen=True)
class Request:
    id: int
    ref: str
    requester_id: int | None
    state: str
    language: str | None  # the language of the conversation, as the requester chose it
    department: str | None
    preferences: Preferences
    urgent: bool
    member_id: int | None
    created_at: datetime
    deadline_at: datetime
    claimed_at: datetime | None = None
    contacted_at: datetime | None = None
    allow_widening: bool = True
    widened_at: datetime | None = None
    breached_at: datetime | None = None
    kind: str = "self"        # 'self', or 'concern': worried about someone else
    collective: bool = False  # the problem has a collective character
    meeting: str | None = None  # 'proposed', 'accepted', 'declined', 'unreachable': never where or when
    conversed: bool = False     # the colleague wrote after contact: a conversation took place
    handbacks: int = 0          # how often it went back from a listener to the others (handed over)
    history_consent: str | None = None  # may the next listener read the earlier conversation: 'asked', 'yes', 'no'
    history_until: int | None = None    # the last message of that earlier conversation
    # "I am not safe" while a listener holds it: a listener must write by then (a contact made
    # before does not count); None when nothing urgent waits for an answer.
    urgent_contact_by: datetime | None = None

    @property
    def handed_over(self) -> bool:
        """Another listener had it before the one who holds it (or will take it) now."""
        return self.handbacks > 0

    @property
    def is_open(self) -> bool:
        return self.state in OPEN

    @property
    def held(self) -> bool:
        """A listener holds it (claimed or in contact)."""
        return self.is_open and not self.unclaimed

    @property
    def urgent_waiting(self) -> bool:
        """Held, and the colleague said they are not safe with no listener's word since."""
        return self.held and self.urgent_contact_by is not None

    @property
    def contact_by(self) -> datetime:
        """The moment by which a listener must write: after "I am not safe" in a held
        conversation, the urgent one; otherwise the contact deadline."""
        return self.urgent_contact_by if self.urgent_waiting else self.deadline_at

    @property
    def unclaimed(self) -> bool:
        return self.state in UNCLAIMED

    @property
    def widened(self) -> bool:
        """May the wishes and the language be set aside now? When the requester said they are not
        safe, or, with their consent, once nobody fitting took it in time."""
        return self.urgent or (self.allow_widening and (self.widened_at is not None or self.breached_at is not None))


@dataclass(frozen=True)
class Parties:
    """A request and the two people who talk in it: what a relay needs, read in one query."""

    request: Request
    listener: int | None            # the person id of the listener who holds it
    listener_name: str | None       # as colleagues see them
    languages: dict[int, str] = field(default_factory=dict)  # person id -> the language they speak

    def language(self, person_id: int) -> str:
        return self.languages.get(person_id, "en")


@dataclass(frozen=True)
class Offer:
    id: int
    request_id: int
    member_id: int
    state: str
    outbox_id: int | None = None


@dataclass(frozen=True)
class Retracted:
    """An offer closed because its request was taken or withdrawn, with whom its message went to."""

    offer: Offer
    person_id: int
    language: str


Button = tuple[str, str]  # (label, callback data)


def ticked(label: str, chosen: bool) -> str:
    """A button's label with the mark that says it is chosen (a theme, a day, a language, a vote)."""
    return f"✓ {label}" if chosen else label


@dataclass(frozen=True)
class Payload:
    """A message the bot must deliver: its text, buttons, and whether it is protected.

    With `photo` (PNG bytes) it is a picture and the text its caption. The bytes are sealed
    with the rest of the payload, like any text. With `query` it is the answer to a button
    press (the text, if any, a pop-up when `alert`, else a note that fades); with `markup_only`
    an edit of a message's buttons alone.
    """

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    protect: bool = False
    reaction: str | None = None   # instead of a message: this emoji on the person's own message...
    react_to: int | None = None   # ...with this id in their chat
    photo: bytes | None = field(default=None, repr=False)  # a chart: sent as a photo with the text as caption
    query: str | None = None      # the button press this answers (Telegram's callback query id)
    alert: bool = False           # that answer is a pop-up the person must close
    markup_only: bool = False     # an edit of the buttons alone; the text stays
    replaces: bool = False        # a reaction in the place of another (✍ becomes 👌): never left out

    def dumps(self) -> str:
        data = {"t": self.text, "b": self.buttons, "p": self.protect}
        if self.reaction:
            data.update(r=self.reaction, m=self.react_to)
        if self.photo is not None:
            data["ph"] = base64.b64encode(self.photo).decode()
        if self.query is not None:
            data.update(q=self.query, a=self.alert)
        if self.markup_only:
            data["mk"] = True
        if self.replaces:
            data["rp"] = True
        return json.dumps(data)

    @classmethod
    def loads(cls, raw: str) -> Payload:
        data = json.loads(raw)
        rows = tuple(tuple((label, token) for label, token in row) for row in data["b"])
        photo = base64.b64decode(data["ph"]) if "ph" in data else None
        return cls(data["t"], rows, data["p"], data.get("r"), data.get("m"), photo, data.get("q"),
                   bool(data.get("a")), bool(data.get("mk")), bool(data.get("rp")))


MAX_MESSAGE = 3800  # Telegram takes 4096 characters; a repeat marker and a header need room too


def split_message(parts: list[str] | str, limit: int = MAX_MESSAGE) -> list[str]:
    """Paragraphs (a list, or a text split at blank lines) joined into as few messages as fit
    below the limit; a paragraph longer than that is cut."""
    blocks = parts.split("\n\n") if isinstance(parts, str) else parts
    messages, current = [], ""
    for block in blocks:
        block = block[:limit]
        if current and len(current) + len(block) + 2 > limit:
            messages.append(current)
            current = block
        else:
            current = f"{current}\n\n{block}" if current else block
    return messages + [current] if current else messages


@dataclass(frozen=True)
class Message:
    id: int
    request_id: int
    author: str  # 'requester' or 'member'
    body: str
    delivered: bool
    written_on: date | None = None         # the day, never the time
    author_message_id: int | None = None   # the author's own message, in their chat


@dataclass(frozen=True)
class Note:
    id: int
    member_id: int | None
    body: str
    created_at: datetime


@dataclass(frozen=True)
class CaseFacts:
    """The structured casework fields of a request (the ones the figures read)."""

    outcome: str | None
    level: str | None
    notes_consent: str | None
    closed_at: datetime | None
    content_erased: bool
    themes: frozenset[str]


@dataclass(frozen=True)
class Quality:
    count: int
    by_rating: dict[int, int]
    comments: int  # how many; the texts stay sealed: no free text reaches a coordinator

    @property
    def total(self) -> int:
        """The sum of the ratings given (the average is total / count, also over quarters)."""
        return sum(rating * n for rating, n in self.by_rating.items())

    @property
    def average(self) -> float:
        return self.total / self.count


@dataclass(frozen=True)
class AuditEntry:
    actor_role: str
    actor_id: int | None
    action: str
    request_ref: str | None
    at: datetime
