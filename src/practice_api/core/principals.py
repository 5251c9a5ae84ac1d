"""Who acts: the signed-in principal and the actor of a domain event (shared by every layer)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

from practice_api.core.security import PrincipalKind

Role = Literal["admin", "staff"]
ActorKind = Literal["staff", "contact", "guest", "system"]


@dataclass(frozen=True)
class Actor:
    """Who caused an event: a principal, a guest, or the system itself."""

    kind: ActorKind
    id: uuid.UUID | None
    name: str

    @classmethod
    def system(cls) -> Actor:
        return cls("system", None, "system")


@dataclass(frozen=True)
class Principal:
    """The caller resolved from a bearer token (``access.principals.current_principal``)."""

    kind: PrincipalKind
    id: uuid.UUID
    firm_id: uuid.UUID
    session_id: uuid.UUID
    name: str
    email: str
    role: Role | None = None  # staff only

    @property
    def is_admin(self) -> bool:
        return self.kind == "staff" and self.role == "admin"

    @property
    def actor(self) -> Actor:
        """This principal as the actor of a domain event."""
        return Actor(self.kind, self.id, self.name)
