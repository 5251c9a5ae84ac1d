"""Every table, imported in one place so Alembic and the test schema see all of them."""

from practice_api.auth.models import AuthSession, RefreshToken
from practice_api.core.models import IdempotencyRecord, RateLimitHit
from practice_api.db import Base
from practice_api.events.models import Event
from practice_api.files.models import FileDocument, StoredFile
from practice_api.firms.models import Firm
from practice_api.offices.models import Office
from practice_api.users.models import User

__all__ = [
    "AuthSession",
    "Base",
    "Event",
    "FileDocument",
    "Firm",
    "IdempotencyRecord",
    "Office",
    "RateLimitHit",
    "RefreshToken",
    "StoredFile",
    "User",
]
