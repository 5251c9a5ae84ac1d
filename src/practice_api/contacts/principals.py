"""Contact tokens: the loader ``access.principals`` uses for principals of kind ``contact``."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.access.principals import PrincipalRegistry
from practice_api.access.sessions import live_session
from practice_api.contacts.models import Contact, EntityContact
from practice_api.core.principals import Principal
from practice_api.core.security import AccessClaims


async def load_contact(session: AsyncSession, claims: AccessClaims) -> Principal | None:
    """An active contact of the token's firm with access to an entity, while its session
    stands."""
    contact = (
        await session.execute(
            select(Contact.name, Contact.email).where(
                Contact.id == claims.subject,
                Contact.firm_id == claims.firm_id,
                Contact.portal_status == "active",
                select(EntityContact.id).where(EntityContact.contact_id == Contact.id).exists(),
                live_session(claims.session_id, claims.subject),
            )
        )
    ).first()
    if contact is None:
        return None
    return Principal(
        kind="contact",
        id=claims.subject,
        firm_id=claims.firm_id,
        session_id=claims.session_id,
        name=contact.name,
        email=contact.email,
    )


def register(principals: PrincipalRegistry) -> None:
    principals.loader("contact", load_contact, watch=(Contact, EntityContact))
