"""What the bot waits for: the one question each person is answering, kept in the database.

A typed text is an answer only while its question is open; everything else is a message for
the other side of a conversation. Because the question is stored (sealed where it carries a
text or the wizard's choices), a restart between question and answer routes the answer where
it belongs: a listener's note is never relayed to the colleague.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .core import Core
from .model import Person

# The questions, one vocabulary.
ACCESS_CODE = "access_code"        # the employee access code (the gate reads the answer, before anything else)
ASK = "ask"                        # the request wizard, choices so far in data
FIRST_MESSAGE = "first_message"    # the wizard's last step: an optional first message
DISPLAY_NAME = "display_name"      # a listener's name as colleagues see it
ROLE_NAME = "role_name"            # a coordinator's or steering member's name as coordinators see it
VOLUNTEER_NAME = "volunteer_name"  # the name an employee who would like to be a listener gives
MEETING_AT = "meeting_at"          # when a meeting of the kind in data takes place
SIGNAL = "signal"                  # a signal without a conversation, its choices so far in data
NOTE = "note"                      # a note on the case `ref`
NOTE_FOR = "note_for"              # a /note text (in data) waiting for its case to be chosen
COMMENT = "comment"                # a comment on the rating of case `ref`
SUGGESTION = "suggestion"          # a listener's suggestion on the review candidate `ref` (its number)
ACTION = "action"                  # a new action on the signal `ref`: the wizard's answers so far in data
SIGNAL_REASON = "signal_reason"    # why "not now" for the signal `ref`
ACTION_NOTE = "action_note"        # a dated update in words on the action `ref`
ACTION_DUE = "action_due"          # a new due date for the action `ref`
NEWS = "news"                      # a "you said, we did" message (about the action `ref`, if any)
NEWS_VERSION = "news_version"      # the message `ref` in another language (the language in data)

# What a typed text is while the question is open: for these, its answer (each has its handler in
# handlers/conversation.py:ANSWERS); for the others, answered with buttons or by the gate, a message.
TYPED = (FIRST_MESSAGE, DISPLAY_NAME, ROLE_NAME, VOLUNTEER_NAME, MEETING_AT, NOTE, COMMENT, SUGGESTION, ACTION,
         SIGNAL_REASON, ACTION_NOTE, ACTION_DUE, NEWS, NEWS_VERSION)
KINDS = (ACCESS_CODE, ASK, SIGNAL, NOTE_FOR, *TYPED)
WIZARD = (ASK, FIRST_MESSAGE)
NUMBERED = (SUGGESTION, SIGNAL_REASON, ACTION_NOTE, ACTION_DUE, NEWS_VERSION)  # `ref` is a row's number, always given


@dataclass(frozen=True)
class Prompt:
    kind: str
    ref: str | None = None
    data: Any = None  # the wizard's choices (a dict) or a waiting text

    @property
    def number(self) -> int | None:
        """The row `ref` names, for the kinds whose ref is a number."""
        return int(self.ref) if self.ref is not None and self.ref.isdigit() else None

    @property
    def known(self) -> bool:
        """A question this version asks, in the shape it asks it. Another version's (an upgrade or a
        rollback between question and answer) is neither answered nor passed on."""
        return self.kind in KINDS and (self.kind not in NUMBERED or self.number is not None)


class Prompts:
    def __init__(self, core: Core) -> None:
        self.repo = core.prompts

    async def wait_for(self, person: Person, kind: str, *, ref: str | None = None, data: Any = None) -> None:
        if not Prompt(kind, ref).known:
            raise ValueError(kind)
        await self.repo.put(person.id, kind, ref, None if data is None else json.dumps(data))

    async def current(self, person: Person) -> Prompt | None:
        stored = await self.repo.get(person.id)
        if stored is None:
            return None
        return Prompt(stored.kind, stored.ref, None if stored.data is None else json.loads(stored.data))

    async def clear(self, person: Person, *kinds: str) -> bool:
        """Close the question; with kinds, only when it is one of them."""
        return await self.repo.clear(person.id, kinds)

    async def draft(self, person: Person) -> dict | None:
        """The request wizard's choices so far, while the wizard is open."""
        prompt = await self.current(person)
        return prompt.data if prompt is not None and prompt.kind in WIZARD else None

