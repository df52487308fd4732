"""The domain services the handlers talk to, built once per running bot.

No Telegram here: the one piece that speaks to Telegram (the sender) is attached by the
application factory, behind the small `Outbound` protocol.
"""
from __future__ import annotations

from typing import Protocol

from .access import Access
from .actions.news import NewsDesk
from .actions.tracker import ActionTracker
from .casework import Casework
from .core import Core
from .meetings import Meetings
from .digest.review import NetworkReview
from .digest.service import SteeringDigests
from .membership import Membership
from .oncall import OnCall
from .menus import Menus
from .oversight import Oversight
from .prompts import Prompts
from .report.phone import QuarterlyTable
from .report.service import Reports
from .requests import RequestDesk
from .retention import Retention
from .sla import ContactPromise
from .team_signals import TeamSignals


class Outbound(Protocol):
    async def flush(self) -> int:
        """Deliver what is due now; returns how many went out."""


class Services:
    def __init__(self, core: Core) -> None:
        self.core = core
        self.settings = core.settings
        self.charter = core.charter
        self.menus = Menus(core)
        self.access = Access(core, self.menus)
        self.casework = Casework(core)
        self.oncall = OnCall(core)
        self.desk = RequestDesk(core, follow_ups=self.casework, oncall=self.oncall)
        self.membership = Membership(core, self.desk, self.menus)
        self.meetings = Meetings(core)
        self.promise = ContactPromise(core, self.desk, self.meetings)
        self.retention = Retention(core, self.desk)
        self.oversight = Oversight(core)
        self.prompts = Prompts(core)
        self.team_signals = TeamSignals(core)
        self.review = NetworkReview(core)
        self.actions = ActionTracker(core)
        self.news = NewsDesk(core)
        self.digests = SteeringDigests(core, self.review, self.actions)
        self.reports = Reports(core)
        self.quarterly = QuarterlyTable(core, self.reports)
        self.sender: Outbound | None = None  # set by the application factory
        self.bot_username = ""               # likewise: for the t.me links the bot sends
