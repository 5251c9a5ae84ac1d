"""The SQL of signing in: who may sign in with an e-mail, sign-in sessions and their refresh
tokens. Sign-in comes before any firm is known, so this repository is on the unscoped base
(``core.repository.Repository``, not ``FirmScopedRepository``): every query names the
account, session or token it is about."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select, update

from practice_api.access.models import AuthSession, RefreshToken
from practice_api.contacts.models import Contact, EntityContact
from practice_api.core.repository import Repository
from practice_api.core.time import utcnow
from practice_api.users.models import User


class AuthRepository(Repository[AuthSession]):
    """Sign-in sessions (``readable()``: every firm's), their refresh tokens, and the staff
    users and contacts who may sign in."""

    model = AuthSession

    async def portal_contacts(self, email: str, firm_id: uuid.UUID | None) -> list[Contact]:
        """Contacts who may sign in with this e-mail: portal active and access to an entity
        (of ``firm_id`` when given); at most 20."""
        statement = select(Contact).where(
            Contact.email == email.lower(),
            Contact.portal_status == "active",
            Contact.password_hash.is_not(None),
            select(EntityContact.id).where(EntityContact.contact_id == Contact.id).exists(),
        )
        if firm_id is not None:
            statement = statement.where(Contact.firm_id == firm_id)
        return list((await self.session.scalars(statement.order_by(Contact.id).limit(20))).all())

    async def signed_in(self, kind: str, principal_id: uuid.UUID) -> None:
        """Record the sign-in time. Core UPDATEs: signing in is not an edit, so versions
        (ETags) stay."""
        model: type[User] | type[Contact] = User if kind == "staff" else Contact
        await self.session.execute(
            update(model).where(model.id == principal_id).values(last_login_at=utcnow())
        )

    async def add_session(self, auth_session: AuthSession) -> AuthSession:
        self.session.add(auth_session)
        await self.session.flush()
        return auth_session

    async def add_refresh_token(self, token: RefreshToken) -> RefreshToken:
        self.session.add(token)
        await self.session.flush()
        return token

    async def spend_refresh_token(self, token_hash: str, now: dt.datetime) -> uuid.UUID | None:
        """Spend an unused, unexpired token in one compare-and-set; its session's id, or
        ``None`` when no such token could be spent. Of two requests racing with the same
        token exactly one gets a row back (PostgreSQL re-checks ``used_at`` after the
        other's commit; SQLite serialises writers), so a token never forks into two chains.
        """
        spent = (
            await self.session.execute(
                update(RefreshToken)
                .where(
                    RefreshToken.token_hash == token_hash,
                    RefreshToken.used_at.is_(None),
                    RefreshToken.expires_at > now,
                )
                .values(used_at=now)
                .returning(RefreshToken.session_id)
            )
        ).one_or_none()
        return None if spent is None else spent[0]

    async def session_of_used_token(self, token_hash: str) -> uuid.UUID | None:
        """The session of a token that was already spent (``None``: unknown or unused)."""
        used = (
            await self.session.execute(
                select(RefreshToken.session_id).where(
                    RefreshToken.token_hash == token_hash, RefreshToken.used_at.is_not(None)
                )
            )
        ).one_or_none()
        return None if used is None else used[0]

    async def revoke_session(self, session_id: uuid.UUID, now: dt.datetime, reason: str) -> None:
        await self.session.execute(
            update(AuthSession)
            .where(AuthSession.id == session_id, AuthSession.revoked_at.is_(None))
            .values(revoked_at=now, revoked_reason=reason)
        )

    async def principal_active(self, auth_session: AuthSession) -> bool:
        """The session's staff user is active, or its contact still has portal access."""
        if auth_session.principal_kind == "staff":
            active = await self.session.scalar(
                select(User.is_active).where(User.id == auth_session.principal_id)
            )
            return bool(active)
        if auth_session.principal_kind == "contact":
            found = await self.session.scalar(
                select(Contact.id).where(
                    Contact.id == auth_session.principal_id,
                    Contact.portal_status == "active",
                    select(EntityContact.id).where(EntityContact.contact_id == Contact.id).exists(),
                )
            )
            return found is not None
        return False
