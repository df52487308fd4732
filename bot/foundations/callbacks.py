"""Button codes: the one place that defines, builds and parses every callback_data.

A code is a prefix and typed fields, e.g. `claim:K7QF2`. The domain builds buttons with
`CLAIM(ref)`; handlers register `CLAIM.pattern` and read the values with `CLAIM.parse`.
Fields are bounded (a reference has 5 characters, a number at most 9 digits), so data
that Telegram lets anyone forge can never reach the database as an overflowing number or
an unbounded string. Callback data is at most 64 bytes: every code here stays below that.
Every press is re-authorised by the service it reaches; a code carries no permission.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .i18n import LANGUAGES
from .vocab import (
    AGE_BAND,
    EFFECTS,
    FEASIBILITY,
    GENDER,
    HAND_BACK_REASONS,
    INVITE_ROLES,
    MEET_WAYS,
    MEETING_KINDS,
    STATUS,
    URGENCY,
)


@dataclass(frozen=True)
class Field:
    regex: str
    convert: Callable[[str], Any] = str


def choice(*values: str) -> Field:
    return Field("|".join(re.escape(v) for v in sorted(values, key=len, reverse=True)))


REF = Field(r"[A-Z0-9]{5}")          # a case reference
HANDLE = Field(r"[A-Z0-9]{6}")       # a listener's handle
KEY = Field(r"[a-z][a-z0-9_]{0,23}")  # a key of charter/*.toml or of a vocabulary
NUMBER = Field(r"\d{1,9}", int)      # small ids and indexes; never an overflow
STARS = Field(r"[1-5]", int)
WEEK = Field(r"\d{4}-W\d{2}")        # an ISO week: a digest


@dataclass(frozen=True)
class Code:
    prefix: str
    fields: tuple[Field, ...] = field(default=())

    def __call__(self, *values: object) -> str:
        if len(values) != len(self.fields):
            raise TypeError(f"{self.prefix} takes {len(self.fields)} values")
        data = ":".join([self.prefix, *(str(v) for v in values)])
        if not self.regex.fullmatch(data) or len(data.encode()) > 64:
            raise ValueError(f"not valid button data for {self.prefix}: {data!r}")
        return data

    @property
    def regex(self) -> re.Pattern[str]:
        parts = [re.escape(self.prefix), *(f"({f.regex})" for f in self.fields)]
        return re.compile(":".join(parts))

    @property
    def pattern(self) -> str:
        """For CallbackQueryHandler: the whole data, nothing more (\\Z: "$" would let a newline in)."""
        return f"^{self.regex.pattern}\\Z"

    def parse(self, data: str | None) -> tuple | None:
        """The field values, converted; None when the data is not this code."""
        match = self.regex.fullmatch(data or "")
        if match is None:
            return None
        return tuple(f.convert(v) for f, v in zip(self.fields, match.groups()))


# The employee: menu, request wizard, urgent path, withdrawing and ending ----------------
LANGUAGE = Code("lang", (choice(*LANGUAGES),))
ASK_START = Code("ask:start")
ASK_CONCERN = Code("ask:concern")  # the same wizard, worried about someone else
# Buttons carry the state they set, never "toggle": a double tap or a replay changes nothing more.
NONE = "-"  # clears a wizard choice
ASK_GENDER = Code("ask:g", (choice(*GENDER, NONE),))
ASK_AGE = Code("ask:a", (choice(*AGE_BAND, NONE),))
ASK_STATUS = Code("ask:s", (choice(*STATUS, NONE),))
ASK_LANGUAGE = Code("ask:l", (choice(*LANGUAGES),))  # the conversation's language: always one
ASK_OTHER_DEPARTMENT = Code("ask:d", (choice("0", "1"),))
ASK_EMPLOYER_SIDE = Code("ask:e", (choice("0", "1"),))  # 1: neither HR nor management
ASK_LISTENERS = Code("ask:m")
ASK_LISTENER = Code("ask:m", (HANDLE,))
ASK_BACK = Code("ask:back")  # from the list of listeners back to the wishes, as they were chosen
ASK_NEXT = Code("ask:next")
ASK_WIDENING = Code("ask:w", (choice("0", "1"),))
ASK_DEPARTMENT = Code("ask:dep", (Field(r"-|\d{1,3}"),))
ASK_SEND = Code("ask:send")
ASK_CANCEL = Code("ask:cancel")
ASK_WIZARD = r"^ask:"  # every wizard step: one handler checks it against the draft in progress
URGENT = Code("urgent")
SIGNAL_START = Code("sig")                                  # something is wrong in my team
SIGNAL_DEPARTMENT = Code("sig:d", (NUMBER,))
SIGNAL_THEME = Code("sig:t", (KEY, choice("0", "1")))      # set a theme on (1) or off (0)
SIGNAL_NEXT = Code("sig:n")
SIGNAL_LEVEL = Code("sig:l", (KEY,))
SIGNAL_SEND = Code("sig:s")
SIGNAL_CANCEL = Code("sig:x")
WITHDRAW = Code("withdraw", (REF,))
END = Code("end", (REF,))
RATE = Code("fb", (REF, STARS))
NO_COMMENT = Code("fb", (REF, choice("skip")))
# Legacy (NOTES_CONSENT, NEWS, NOTE_CANCEL): built no more, still answered for messages sent before
# the release of December 2026 that replaced them. Each can go (its handler too) once every
# installation has run that release for WAAKZAAM_RETENTION_DAYS (90 by default): by then retention
# has erased the cases those questions were about, and a press on an older welcome's news button
# gets the stale-button answer (handlers/fallbacks.py), with /news a tap away.
NOTES_CONSENT = Code("nc", (REF, choice("y", "n")))  # the notes alone, asked before HANDOVER_CONSENT (legacy)
HANDOVER_CONSENT = Code("hc", (REF, choice("y", "n")))  # may the next listener read the conversation so far (and notes)
FORGET = Code("forget", (choice("yes", "no"),))

# Joining: the charter and the profile --------------------------------------------------
CHARTER = Code("charter", (choice("yes", "no"),))
VOLUNTEER_WISH = Code("vol")                                # an employee would like to become a listener
NEWS = Code("news", (choice("0", "1"),))                    # the welcome's news button before NEWS_FOLLOW (legacy)
PROFILE_GENDER = Code("prof:g", (choice(*GENDER),))
PROFILE_AGE = Code("prof:a", (choice(*AGE_BAND),))
PROFILE_STATUS = Code("prof:s", (choice(*STATUS),))
PROFILE_HR = Code("prof:hr", (choice("0", "1"),))
PROFILE_DEPARTMENT = Code("prof:d", (NUMBER,))
PROFILE_LANGUAGE = Code("prof:l", (choice(*LANGUAGES), choice("0", "1")))
PROFILE_DONE = Code("prof:l:done")
PROFILE_EDIT = Code("prof:edit")
PROFILE_FAMILY = r"^prof:"  # every profile answer: one handler re-checks the step

# The listener: offers, cases, protection ---------------------------------------------
CLAIM = Code("claim", (REF,))
DECLINE = Code("decline", (REF,))
HAND_BACK_ASK = Code("back", (REF,))
HAND_BACK = Code("back", (REF, choice(*HAND_BACK_REASONS)))
KEEP_CASE = Code("keepcase", (REF,))
KEEP_CLAIM = Code("keep", (REF,))
RELEASE_CLAIM = Code("release", (REF,))
DEBRIEF = Code("debrief")
LEAVE = Code("leave", (choice("yes", "no"),))
LIMIT = Code("limit", (NUMBER,))
CLOSE = Code("close", (REF,))
ONCALL_ANSWER = Code("onc", (NUMBER, choice("yes", "no")))  # a listener's answer to being on call
HOURS = Code("hrs")                                   # the hours screen
HOURS_PRESET = Code("hrs:p", (KEY,))                  # a preset, or 'any'
HOURS_DAYS = Code("hrs:d", (NUMBER,))                 # custom: the days chosen so far (a 7-bit mask)
HOURS_FROM = Code("hrs:f", (NUMBER,))                 # ...then the first hour, for these days
HOURS_UNTIL = Code("hrs:u", (NUMBER, NUMBER))         # ...then the last, from this first hour
HOURS_SET = Code("hrs:s", (NUMBER, NUMBER, NUMBER))   # days, from, until: saved
SEND_DRAFT = Code("to", (NUMBER, REF))
DROP_DRAFT = Code("to", (NUMBER, choice("drop")))    # the parked text goes nowhere: deleted at once

# Casework ----------------------------------------------------------------------------
NOTES = Code("notes", (REF,))
NOTE_ASK = Code("note", (REF,))
NOTE_CANCEL = Code("note", (REF, choice("cancel")))  # prompts sent before NOTE_QUIT (legacy, see NOTES_CONSENT)
NOTE_QUIT = Code("notex", (REF, NUMBER))  # cancel the note prompt; the listener's newest note id when asked
NOTE_FOR = Code("notefor", (REF,))
TAGS = Code("tags", (REF,))
TAGS_PAGE = Code("tags", (REF, KEY))  # a theme group, 'level' or 'done'
TAG = Code("tag", (REF, KEY, choice("0", "1")))  # 1 adds the theme, 0 removes it
LEVEL = Code("lvl", (REF, KEY))
REFER_PICK = Code("rfr", (REF,))
REFER_CHOOSE = Code("rfr", (REF, KEY))                          # this contact: send only, or ask?
REFER_SEND = Code("rfr", (REF, KEY, choice("0", "1")))          # 1: ask the colleague to share
REFER_ANSWER = Code("rfa", (REF, NUMBER, choice("y", "n")))     # the colleague's own answer
ROUTES = Code("rt", (REF,))                                     # what the law offers, for this case
ROUTES_SEND = Code("rt", (REF, choice("send")))
COLLECTIVE = Code("coll", (REF, choice("0", "1")))              # 1: the problem has a collective character
MEET_ASK = Code("mt", (REF,))                                   # propose to meet: how?
MEET_PROPOSE = Code("mt", (REF, choice(*MEET_WAYS)))
MEET_ANSWER = Code("mta", (REF, choice(*MEET_WAYS), choice("y", "n")))  # the colleague's answer
OUTCOME = Code("out", (REF, KEY))

# The coordinator ----------------------------------------------------------------------
INVITE = Code("inv", (choice(*INVITE_ROLES),))
REMOVE_ASK = Code("rm", (choice(*INVITE_ROLES), NUMBER))      # which role, whose person id
REMOVE = Code("rm", (choice(*INVITE_ROLES), NUMBER, choice("yes", "no")))
REMOVAL_DECIDE = Code("rmd", (NUMBER, choice("yes", "no")))   # a second coordinator's answer
REMOVAL_STOP = Code("rms", (NUMBER,))                         # another coordinator stops an agreed removal
INVITE_CANCEL = Code("invx", (NUMBER,))
ONCALL_WEEK = Code("oncw", (Field(r"\d{4}-W\d{2}"),))                     # who should be on call this week?
ONCALL_ASK = Code("onca", (Field(r"\d{4}-W\d{2}"), NUMBER))               # ask this listener
ROTA = Code("rota", (Field(r"[0-9.]{0,40}"),))                             # the rota so far: member ids, in turn
ROTA_SAVE = Code("rotas", (Field(r"[0-9.]{1,40}"),))
VOLUNTEER = Code("volx", (NUMBER, choice("yes", "no")))      # a coordinator's answer to a volunteer
MEETING_PLAN = Code("meet", (choice(*MEETING_KINDS),))        # plan a meeting of this kind: asks the date
MEETING_CANCEL = Code("meetx", (NUMBER,))
CALL = Code("call", (Field(r"[a-z_]+\.[a-z0-9_]+"),))       # call for volunteers for a gap: field.value
CALL_SEND = Code("calls", (Field(r"[a-z_]+\.[a-z0-9_]+"),))

# The steering group's digest and the network's review ----------------------------------
DIGEST_ABOUT = Code("dga", (WEEK,))             # how to read the digest of that week
DIGEST_MAIN = Code("dgm", (WEEK,))              # back to that digest
REVIEW_LIST = Code("rvl", (NUMBER,))            # a round's list of candidates
REVIEW_SHOW = Code("rvc", (NUMBER,))            # one candidate
REVIEW_VOTE = Code("rvv", (NUMBER, choice("y", "n")))  # report it (y) or not (n)
REVIEW_SUGGEST = Code("rvs", (NUMBER,))         # write a suggestion on a candidate
SUGGESTION_SEND = Code("sgs", (NUMBER, choice("send", "redo")))  # after a warning: send anyway, or rewrite
SUGGESTION_DECIDE = Code("sgd", (NUMBER, choice("ok", "back")))  # a coordinator approves or sends back

# The steering group's answers to signals, and its actions -----------------------------------
SIGNALS_OF = Code("asw", (WEEK,))                # the signals of that digest, to answer
SIGNALS_OPEN = Code("asu")                       # the signals still without an answer
SIGNAL_SHOW = Code("asg", (NUMBER,))             # one signal: its answer and actions
SIGNAL_ANSWER = Code("asa", (NUMBER, choice("ack", "later", "act")))  # acknowledge; not now (asks why); an action
ACTION_URGENCY = Code("awu", (choice(*URGENCY),))             # the new action's urgency (the wizard)
ACTION_FEASIBILITY = Code("awf", (choice(*FEASIBILITY),))     # ...its feasibility
ACTION_DUE_IN = Code("awd", (choice("1", "3", "6"),))         # ...due in 1, 3 or 6 months (or typed)
ACTION_SKIP = Code("aws")                                     # ...no text for this optional step
ACTION_SAVE = Code("awk", (choice("save", "cancel"),))        # ...saved, or given up
ACTIONS = Code("acl", (choice("open", "closed"),))            # the list of actions
ACTION_SHOW = Code("acv", (NUMBER,))                          # one action's card
ACTION_STATUS = Code("acs", (NUMBER, choice("in_progress", "done", "dropped")))  # done and dropped ask the effect
ACTION_EFFECT = Code("ace", (NUMBER, choice("done", "dropped"), choice(*EFFECTS)))
ACTION_NOTE = Code("acn", (NUMBER,))                          # a dated update in words
ACTION_DUE = Code("acd", (NUMBER,))                           # a new due date
ACTION_KEEP = Code("ack", (NUMBER,))                          # "I follow this up" (gets the reminder)
ACTION_TELL = Code("act", (NUMBER,))                          # draft a "you said, we did" about it

# "You said, we did" -----------------------------------------------------------------------
NEWS_DRAFT = Code("nwd")                                      # write a new message
NEWS_FIGURES = Code("nwf", (NUMBER, choice("0", "1")))        # with the network's use figures, or without
NEWS_SUBMIT = Code("nws", (NUMBER, choice("send", "drop")))   # ask a second person to approve; or delete it
NEWS_DECIDE = Code("nwa", (NUMBER, choice("ok", "back")))     # the second person publishes it or sends it back
NEWS_SHOW = Code("nwv", (NUMBER,))                            # a draft waiting for approval
NEWS_FOLLOW = Code("nwe", (choice("0", "1"),))                # follow the news (or stop) and keep the message
NEWS_LANGUAGE = Code("nwo", (NUMBER, choice(*LANGUAGES)))      # the language its author wrote it in
NEWS_VERSION = Code("nwl", (NUMBER, choice(*LANGUAGES)))       # write (or rewrite) the version in a language
