"""The domain services the handlers talk to, built once per running bot.

No Telegram here: the one piece that speaks to Telegram (the sender) is attached by the
application factory, behind the small `Outbound` protocol.
"""
from __future__ import annotations

from typing import Protocol

from .access import Access
from .casework import Casework
from .core import Core
from .digest.review import NetworkReview
from .digest.service import SteeringDigests
from .membership import Membership
from .oversight import Oversight
from .prompts import Prompts
from .requests import RequestDesk
from .retention import Retention
from .sla import ContactPromise


class Outbound(Protocol):
    async def flush(self) -> int:
        """Deliver what is due now; returns how many went out."""


class Services:
    def __init__(self, core: Core) -> None:
        self.core = core
        self.settings = core.settings
        self.charter = core.charter
        self.access = Access(core)
        self.casework = Casework(core)
        self.desk = RequestDesk(core, follow_ups=self.casework)
        self.membership = Membership(core, self.desk)
        self.promise = ContactPromise(core, self.desk)
        self.retention = Retention(core, self.desk)
        self.oversight = Oversight(core)
        self.prompts = Prompts(core)
        self.review = NetworkReview(core)
        self.digests = SteeringDigests(core, self.review)
        self.sender: Outbound | None = None  # set by the application factory
