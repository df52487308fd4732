"""Closing a request's open offers and saying so on each offer message, so nobody acts on one
that no longer stands (the request was taken, withdrawn, closed, or its listener answered)."""
from __future__ import annotations

from collections.abc import Callable

from bot.foundations.core import Core
from bot.foundations.i18n import Translator
from bot.foundations.model import Payload, Request


async def retract(core: Core, request: Request, state: str, says: Callable[[Translator], str],
                  keep: int | None = None) -> int:
    """Close the open offers of `request` (all but member `keep`'s) as `state` ('taken' or
    'withdrawn'); each offer message is changed to what `says` gives in its reader's language.
    How many were closed."""
    changes = []
    closed = await core.requests.retract_offers(request.id, state, keep)
    for each in closed:
        if each.offer.outbox_id is not None:
            changes.append((each.offer.outbox_id, each.person_id, Payload(says(Translator(each.language)))))
    await core.outbox.replace_or_edit_many(changes)
    return len(closed)
