"""Telegram handlers: thin adapters from updates to the core. Each module has register(app)."""
from __future__ import annotations

from telegram.ext import Application

from . import casework, common, conversation, coordinator, employee, joining, member


def register_all(app: Application) -> None:
    common.register(app)
    joining.register(app)
    employee.register(app)
    member.register(app)
    coordinator.register(app)
    casework.register(app)  # before conversation: a note or comment being typed is not relayed
    conversation.register(app)
    common.register_fallbacks(app)
