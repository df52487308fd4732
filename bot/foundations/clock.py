"""UTC time as stored in the database: aware datetimes, ISO text that sorts."""
from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def parse(text: str) -> datetime:
    """A stored moment; a day alone (YYYY-MM-DD) reads as its start, in UTC."""
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def day(moment: datetime | None = None) -> str:
    """What is kept of a moment that only needs its date (at rest, times can single someone out)."""
    return (moment or now()).astimezone(UTC).date().isoformat()
