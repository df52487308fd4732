"""What the bot says on behalf of the update being handled: one way out.

Every answer, edit of the pressed message, card, picture and button answer is an outbox row
keyed by the update's inbox row (`origin`) and its order within the handling (`seq`), written
in the same transaction as what the update changed (gathered while the handlers run, written
at the end of the handling). Nothing goes to Telegram while an update
is handled: the sender takes it all after that transaction commits. So an update handled again
(after a crash, or a passing failure that rolled its transaction back) had said nothing, and
says it now, once; and what may already have gone out when the bot stopped is marked as a
possible repeat (an edit is simply made again), like every other delivery.

An update processed outside the inbox (tests of concurrent handling) has no origin: its
answers are queued as they are said and drained after it.
"""
from __future__ import annotations

from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field

from bot.foundations.model import Button, Payload
from bot.foundations.storage.outbox import OutboxRepository

ANSWER = "answer"      # a direct answer to the person acting: a message, a picture, an edit
CALLBACK = "callback"  # the answer to a button press (stops the spinner; an alert or a fading note)


@dataclass(frozen=True)
class Direct:
    """Said directly after the handling commits, at most once, where no outbox row can be: to a chat
    where nobody is known (a group), or to someone this update erased (nothing is kept for them,
    not even this). Lost if the bot stops between the commit and the call; never repeated."""

    chat_id: int
    text: str = ""
    edit_message: int | None = None  # edit this message (should it be gone: a new one)
    query: str | None = None         # answer this button press (stops its spinner)
    alert: str = ""                  # the press's answer is this pop-up (with `query`)
    drop_buttons: bool = False       # only the buttons of `edit_message` go; its words stay


@dataclass
class Said:
    """One thing an update says, until its handling writes it to the outbox."""

    person_id: int
    payload: Payload
    kind: str
    edit_message: int | None = None
    request_id: int | None = None


@dataclass
class Handling:
    """The update being handled: its inbox row (the origin key), who acts, what it said so far,
    and what went wrong, if anything.

    In the inbox, what it says is gathered here and written to the outbox at the end of the
    handling, in its transaction, in the order it was said: two statements however much it said
    (a /cases with ten cards costs what one with one card costs)."""

    inbox_id: int | None           # None: processed outside the inbox
    outbox: OutboxRepository
    person_id: int | None = None   # set once the gate knows who acts
    error: BaseException | None = None
    said: list[Said] = field(default_factory=list)  # not written yet, in order
    press: Said | int | None = None  # what answers the pressed button (its outbox row, outside the inbox)
    press_said: bool = False       # that answer carries a text already
    direct: list[Direct] = field(default_factory=list)  # said after the commit, once, not through the outbox
    trial: bool = False            # handled on the database's thread: should it fail, it is handled again on the loop
    again: bool = False            # failed for a cause that may pass: tried again later

    async def enqueue(self, payload: Payload, *, kind: str, edit_message: int | None = None,
                      request_id: int | None = None) -> Said | int:
        """Said to the person acting, as the next thing this update says. Outside the inbox it is
        queued at once (and drained after the update); its outbox row is returned then."""
        said = Said(self.person_id, payload, kind, edit_message, request_id)
        if self.inbox_id is None:
            return await self.outbox.enqueue(said.person_id, payload, kind=kind, request_id=request_id,
                                             edit_message=edit_message)
        self.said.append(said)
        return said

    async def write(self) -> None:
        """What the update said, into the outbox: keyed by its inbox row and the order it was said,
        in the handling's transaction, marked in flight (it goes right after the commit)."""
        if self.said:
            await self.outbox.enqueue_said(self.inbox_id, [
                (said.person_id, said.payload, said.kind, said.edit_message, said.request_id) for said in self.said])
            self.said.clear()


current: ContextVar[Handling | None] = ContextVar("waakzaam_handling", default=None)


def origin() -> int | None:
    """The inbox row of the update being handled: the key that makes handling it again harmless."""
    handling = current.get()
    return None if handling is None else handling.inbox_id


def _handling() -> Handling:
    handling = current.get()
    if handling is None or handling.person_id is None:
        raise RuntimeError("nothing can be said outside the handling of an update from a known person")
    return handling


async def _say(payload: Payload, *, kind: str = ANSWER, edit_message: int | None = None,
               request_id: int | None = None) -> Said | int:
    return await _handling().enqueue(payload, kind=kind, edit_message=edit_message, request_id=request_id)


async def message(text: str, rows: Sequence[Sequence[Button]] = (), *, protect: bool = False,
                  photo: bytes | None = None, request_id: int | None = None) -> None:
    """A new message (or picture, `text` its caption) to the person acting."""
    await _say(Payload(text, _tuples(rows), protect, photo=photo), request_id=request_id)


async def edit(message_id: int, text: str, rows: Sequence[Sequence[Button]] = (), *, protect: bool = False) -> None:
    """The pressed message changed to this; should it be gone or not take text, a new message."""
    await _say(Payload(text, _tuples(rows), protect), edit_message=message_id)


async def edit_buttons(message_id: int, rows: Sequence[Sequence[Button]]) -> None:
    """Only the buttons of the pressed message change."""
    await _say(Payload("", _tuples(rows), markup_only=True), edit_message=message_id)


async def pressed(query_id: str) -> None:
    """A button was pressed: its answer is the first thing said (the spinner stops first),
    empty unless an alert or a note fills it in."""
    handling = _handling()
    if handling.press is None:
        handling.press = await _say(Payload("", query=query_id), kind=CALLBACK)


async def answer_press(query_id: str, text: str, *, alert: bool) -> None:
    """The press's answer says this: a pop-up (`alert`) or a note that fades. Telegram takes one
    answer per press: what a second one would say comes as a message instead."""
    handling = _handling()
    payload = Payload(text, query=query_id, alert=alert)
    if handling.press is None:
        handling.press = await _say(payload, kind=CALLBACK)
    elif handling.press_said:
        await message(text)
    elif isinstance(handling.press, Said):
        handling.press.payload = payload
    elif not await handling.outbox.rewrite(handling.press, payload):  # outside the inbox, gone already
        await message(text)
    handling.press_said = True


def directly(said: Direct, *, erased: bool = False) -> None:
    """Said after the handling commits, at most once (see Direct). `erased`: the person acting was
    erased by this update, so nothing it said to them before is kept either."""
    handling = current.get()
    if handling is not None:
        if erased:
            handling.said = [s for s in handling.said if s.person_id != handling.person_id]
            handling.press = None
        handling.direct.append(said)


def _tuples(rows: Sequence[Sequence[Button]]) -> tuple[tuple[Button, ...], ...]:
    return tuple(tuple((label, data) for label, data in row) for row in rows if row)


__all__ = ["ANSWER", "CALLBACK", "Direct", "Handling", "Said", "answer_press", "current", "directly", "edit",
           "edit_buttons", "message", "origin", "pressed"]
