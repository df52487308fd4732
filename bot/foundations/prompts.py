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
ACCESS_CODE = "access_code"        # the employee access code
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
KINDS = (ACCESS_CODE, ASK, FIRST_MESSAGE, DISPLAY_NAME, ROLE_NAME, VOLUNTEER_NAME, MEETING_AT, SIGNAL, NOTE,
         NOTE_FOR, COMMENT, SUGGESTION, ACTION, SIGNAL_REASON, ACTION_NOTE, ACTION_DUE, NEWS, NEWS_VERSION)
WIZARD = (ASK, FIRST_MESSAGE)


@dataclass(frozen=True)
class Prompt:
    kind: str
    ref: str | None = None
    data: Any = None  # the wizard's choices (a dict) or a waiting text


class Prompts:
    def __init__(self, core: Core) -> None:
        self.repo = core.prompts

    async def wait_for(self, person: Person, kind: str, *, ref: str | None = None, data: Any = None) -> None:
        if kind not in KINDS:
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


__all__ = ["Prompts", "Prompt", "KINDS", "WIZARD", "ACCESS_CODE", "ASK", "FIRST_MESSAGE", "DISPLAY_NAME",
           "ROLE_NAME", "VOLUNTEER_NAME", "MEETING_AT", "SIGNAL", "NOTE", "NOTE_FOR", "COMMENT", "SUGGESTION",
           "ACTION", "SIGNAL_REASON", "ACTION_NOTE", "ACTION_DUE", "NEWS", "NEWS_VERSION"]
