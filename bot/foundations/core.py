"""The open store: the database, its key, the charter and one repository per aggregate.

Made by bot/running/startup.py:open_core, which checks the key and upgrades the schema first.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .calendar import Calendar
from .charter import Charter
from .crypto import Vault
from .i18n import Translator
from .offload import Offload
from .settings import Settings
from .storage.actions import ActionRepository
from .storage.audit import AuditRepository
from .storage.casework import CaseworkRepository
from .storage.conversations import ConversationRepository
from .storage.database import Database
from .storage.digests import DigestRepository
from .storage.erasures import ErasureLog
from .storage.figures import FiguresRepository
from .storage.inbox import InboxRepository
from .storage.invites import InviteRepository
from .storage.meetings import MeetingRepository
from .storage.members import MemberRepository
from .storage.meta import MetaRepository
from .storage.news import NewsRepository
from .storage.oncall import OnCallRepository
from .storage.outbox import OutboxRepository
from .storage.people import PeopleRepository
from .storage.prompts import PromptRepository
from .storage.releases import ReleaseRepository
from .storage.removals import RemovalRepository
from .storage.requests import RequestRepository
from .storage.review import ReviewRepository
from .storage.team_signals import TeamSignalRepository
from .storage.volunteers import VolunteerRepository


@dataclass
class Core:
    settings: Settings
    db: Database
    vault: Vault
    charter: Charter
    people: PeopleRepository = field(init=False)
    members: MemberRepository = field(init=False)
    invites: InviteRepository = field(init=False)
    requests: RequestRepository = field(init=False)
    conversations: ConversationRepository = field(init=False)
    outbox: OutboxRepository = field(init=False)
    cases: CaseworkRepository = field(init=False)
    audit: AuditRepository = field(init=False)
    meta: MetaRepository = field(init=False)
    inbox: InboxRepository = field(init=False)
    prompts: PromptRepository = field(init=False)
    removals: RemovalRepository = field(init=False)
    oncall: OnCallRepository = field(init=False)
    volunteers: VolunteerRepository = field(init=False)
    meetings: MeetingRepository = field(init=False)
    team_signals: TeamSignalRepository = field(init=False)
    figures: FiguresRepository = field(init=False)
    digests: DigestRepository = field(init=False)
    releases: ReleaseRepository = field(init=False)
    reviews: ReviewRepository = field(init=False)
    actions: ActionRepository = field(init=False)
    news: NewsRepository = field(init=False)
    erasures: ErasureLog = field(init=False)
    offload: Offload = field(default_factory=Offload)  # the solver, matplotlib: in a child when serving

    def __post_init__(self) -> None:
        self.people = PeopleRepository(self.db, self.vault)
        self.members = MemberRepository(self.db, self.vault)
        self.invites = InviteRepository(self.db, self.vault)
        self.requests = RequestRepository(self.db, self.vault)
        self.conversations = ConversationRepository(self.db, self.vault)
        self.outbox = OutboxRepository(self.db, self.vault)
        self.cases = CaseworkRepository(self.db, self.vault)
        self.audit = AuditRepository(self.db)
        self.meta = MetaRepository(self.db)
        self.inbox = InboxRepository(self.db, self.vault)
        self.prompts = PromptRepository(self.db, self.vault)
        self.removals = RemovalRepository(self.db)
        self.oncall = OnCallRepository(self.db)
        self.volunteers = VolunteerRepository(self.db, self.vault)
        self.meetings = MeetingRepository(self.db)
        self.team_signals = TeamSignalRepository(self.db)
        self.figures = FiguresRepository(self.db)
        self.digests = DigestRepository(self.db, self.vault)
        self.releases = ReleaseRepository(self.db, self.vault)
        self.reviews = ReviewRepository(self.db, self.vault)
        self.actions = ActionRepository(self.db, self.vault)
        self.news = NewsRepository(self.db, self.vault)
        self.erasures = ErasureLog(self.db)

    @property
    def calendar(self) -> Calendar:
        """The organisation's calendar (its time zone's days, quarters and years)."""
        return self.db.calendar

    async def translator(self, person_id: int) -> Translator:
        """Speaks to this person in their language."""
        return Translator(await self.people.language(person_id))

    async def close(self) -> None:
        await self.db.checkpoint()
        await self.db.close()
