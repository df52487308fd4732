"""The domain services the handlers talk to, built once per running bot.

No Telegram here: the one piece that speaks to Telegram (the sender) is attached by the
application factory, behind the small `Outbound` protocol.
"""
from __future__ import annotations

from typing import Protocol

from .conversation.casework import Casework
from .conversation.promise import ContactPromise
from .conversation.requests import RequestDesk
from .conversation.retention import Retention
from .conversation.talking import Talk
from .conversation.team_signals import TeamSignals
from .foundations.access import Access
from .foundations.core import Core
from .foundations.menus import Menus
from .foundations.prompts import Prompts
from .network.meetings import Meetings
from .network.membership import Membership
from .network.oncall import OnCall
from .network.oversight import Oversight
from .steering.actions.news import NewsDesk
from .steering.actions.tracker import ActionTracker
from .steering.digest.review import NetworkReview
from .steering.digest.service import SteeringDigests
from .steering.report.phone import QuarterlyTable
from .steering.releases.service import PeriodReleases
from .steering.report.service import Reports


class Outbound(Protocol):
    async def flush(self) -> int:
        """Deliver what is due now; returns how many went out."""


class Services:
    def __init__(self, core: Core) -> None:
        self.core = core
        self.settings = core.settings
        self.charter = core.charter
        self.calendar = core.calendar
        self.menus = Menus(core)
        self.access = Access(core, self.menus)
        self.casework = Casework(core)
        self.oncall = OnCall(core)
        self.talk = Talk(core)
        self.desk = RequestDesk(core, self.talk, follow_ups=self.casework, oncall=self.oncall)
        self.membership = Membership(core, self.desk, self.menus, self.oncall)
        self.meetings = Meetings(core)
        self.promise = ContactPromise(core, self.desk, self.meetings)
        self.retention = Retention(core, self.desk)
        self.oversight = Oversight(core)
        self.prompts = Prompts(core)
        self.team_signals = TeamSignals(core)
        self.review = NetworkReview(core)
        self.actions = ActionTracker(core)
        self.news = NewsDesk(core)
        self.releases = PeriodReleases(core)
        self.digests = SteeringDigests(core, self.review, self.actions, self.releases)
        self.reports = Reports(core, self.releases)
        self.quarterly = QuarterlyTable(core, self.reports)
        self.sender: Outbound | None = None  # set by the application factory
        self.bot_username = ""               # likewise: for the t.me links the bot sends
