"""Who is calling: the principal resolved from the bearer token, once per request."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import select

from practice_api.auth.models import AuthSession
from practice_api.contacts.models import Contact, EntityContact
from practice_api.core.errors import Forbidden, NotAuthenticated
from practice_api.core.security import InvalidToken, PrincipalKind
from practice_api.db import SessionDep
from practice_api.events.service import Actor
from practice_api.users.models import User

Role = Literal["admin", "staff"]

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/v1/auth/token", auto_error=False)


@dataclass(frozen=True)
class Principal:
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


async def current_principal(
    request: Request,
    session: SessionDep,
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> Principal:
    if not token:
        raise NotAuthenticated("A bearer token is required.", code="token_missing")
    try:
        claims = request.app.state.tokens.decode(token)
    except InvalidToken:
        raise NotAuthenticated("The token is invalid or expired.", code="token_invalid") from None
    live_session = (
        select(AuthSession.id)
        .where(
            AuthSession.id == claims.session_id,
            AuthSession.principal_id == claims.subject,
            AuthSession.revoked_at.is_(None),
        )
        .exists()
    )
    if claims.kind == "staff":
        user = await session.scalar(
            select(User).where(
                User.id == claims.subject,
                User.firm_id == claims.firm_id,
                User.is_active.is_(True),
                live_session,
            )
        )
        if user is not None:
            role: Role = "admin" if user.role == "admin" else "staff"
            return Principal(
                kind="staff",
                id=user.id,
                firm_id=user.firm_id,
                session_id=claims.session_id,
                name=user.name,
                email=user.email,
                role=role,
            )
    elif claims.kind == "contact":
        contact = await session.scalar(
            select(Contact).where(
                Contact.id == claims.subject,
                Contact.firm_id == claims.firm_id,
                Contact.portal_status == "active",
                select(EntityContact.id).where(EntityContact.contact_id == Contact.id).exists(),
                live_session,
            )
        )
        if contact is not None:
            return Principal(
                kind="contact",
                id=contact.id,
                firm_id=contact.firm_id,
                session_id=claims.session_id,
                name=contact.name,
                email=contact.email,
            )
    raise NotAuthenticated("The token is no longer valid.", code="token_revoked")


async def current_staff(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
    if principal.kind != "staff":
        raise Forbidden("This route is for firm staff.", code="staff_only")
    return principal


async def current_contact(
    principal: Annotated[Principal, Depends(current_principal)],
) -> Principal:
    if principal.kind != "contact":
        raise Forbidden("This route is for client contacts (the portal).", code="contact_only")
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
CurrentStaff = Annotated[Principal, Depends(current_staff)]
CurrentContact = Annotated[Principal, Depends(current_contact)]
