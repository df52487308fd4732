"""Telegram handlers: thin adapters from updates to the domain services.

One module per side (employee, team_signal, joining, listener, casework, feedback, erasure,
coordinator, steering, review, actions, news, report), plus where everyone starts (gate, start), free text
(conversation) and what nobody took (fallbacks). Each has register(app); the order below is the order of matching.
"""
from __future__ import annotations

from telegram.ext import Application

from . import (
    actions,
    casework,
    conversation,
    coordinator,
    employee,
    erasure,
    fallbacks,
    feedback,
    gate,
    joining,
    listener,
    news,
    report,
    review,
    start,
    steering,
    team_signal,
)
from .ui import CONTEXT_TYPES  # noqa: F401 - the per-update context the factory builds with


def register_all(app: Application) -> None:
    gate.register(app)
    fallbacks.register_first(app)
    start.register(app)
    joining.register(app)
    employee.register(app)
    team_signal.register(app)
    listener.register(app)
    coordinator.register(app)
    steering.register(app)
    review.register(app)
    actions.register(app)
    news.register(app)
    report.register(app)
    casework.register(app)
    feedback.register(app)
    erasure.register(app)
    conversation.register(app)
    fallbacks.register(app)
