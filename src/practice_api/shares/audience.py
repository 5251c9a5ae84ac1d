"""Share subscriptions: who among an entity's shared users is e-mailed about its events.

A share's ``notifications`` name what its user wants by e-mail for that entity. This is the
one table mapping those choices to event types; ``shared_subscribers`` is registered as an
extra audience of the event catalogue (``shares.events.register``), so every event
with an ``entity_id`` of a mapped type reaches the subscribed shared users, in-app and by
e-mail (their e-mail frequency, immediately or daily digest, still applies).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, get_args

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.events.catalogue import PersonalChannel, Recipient
from practice_api.shares.models import Share
from practice_api.shares.schemas import Notification
from practice_api.users.models import User

if TYPE_CHECKING:
    from practice_api.events.models import Event

# Subscription key -> the event types it covers (file requests and client requests).
SUBSCRIPTION_EVENTS: dict[Notification, tuple[str, ...]] = {
    "file_uploaded": ("file.uploaded", "file.version_added"),
    "response_received": ("file_request.item_submitted", "client_request.submitted"),
    "request_completed": ("file_request.completed", "client_request.completed"),
}
assert set(SUBSCRIPTION_EVENTS) == set(get_args(Notification)), "map every subscription key"

_KEYS_OF_TYPE: dict[str, frozenset[str]] = {}
for _key, _types in SUBSCRIPTION_EVENTS.items():
    for _type in _types:
        _KEYS_OF_TYPE[_type] = _KEYS_OF_TYPE.get(_type, frozenset()) | {_key}

# What a subscription asks for reaches the user in-app too, not only by e-mail.
IN_APP_AND_EMAIL: frozenset[PersonalChannel] = frozenset({"in_app", "email"})


def subscription_keys(event_type: str) -> frozenset[str]:
    """The share subscriptions that ask for e-mail about ``event_type``."""
    return _KEYS_OF_TYPE.get(event_type, frozenset())


async def shared_subscribers(session: AsyncSession, event: Event) -> list[Recipient]:
    """Active users the event's entity is shared with who subscribed to its type."""
    keys = subscription_keys(event.type)
    if event.entity_id is None or not keys:
        return []
    rows = await session.execute(
        select(Share.user_id, Share.notifications)
        .join(User, User.id == Share.user_id)
        .where(
            Share.entity_id == event.entity_id,
            Share.firm_id == event.firm_id,
            User.is_active.is_(True),
        )
    )
    return [
        Recipient("staff", user_id, channels=IN_APP_AND_EMAIL, via="share")
        for user_id, chosen in rows
        if keys & set(chosen or ())
    ]


# Bulk shares (``POST /v1/shares/bulk``) tell each user once what was shared with them.
BULK_SHARE = "shares.bulk"
