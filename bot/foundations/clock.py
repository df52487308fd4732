"""Instants, as stored in the database: aware datetimes in UTC, ISO text that sorts.

A day (what a person reads, or what bounds a count) is the organisation's, never the UTC date of
an instant: see calendar.py.
"""
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
