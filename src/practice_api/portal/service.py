"""What a contact sees in the portal, as queries (one rule each, in one place).

``portal_files``: on every entity the contact has access to, the files staff shared with
contacts and the files contacts uploaded (``files.repository.visible_to_contacts``), plus
every file attached to a discussion the contact can read
(``discussions.repository.attached_for_contact``), shared or not.
"""

from __future__ import annotations

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.contacts.models import EntityContact
from practice_api.core.principals import Principal
from practice_api.discussions.repository import attached_for_contact
from practice_api.files.models import FileDocument
from practice_api.files.repository import FileRepository, visible_to_contacts


def portal_files(session: AsyncSession, principal: Principal) -> Select[FileDocument]:
    """The files shared with the contact, on every entity it has access to, and the files
    attached to the discussions it can read."""
    return (
        FileRepository(session, principal.firm_id)
        .readable()
        .where(
            or_(
                and_(
                    FileDocument.entity_id.in_(
                        select(EntityContact.entity_id).where(
                            EntityContact.contact_id == principal.id
                        )
                    ),
                    visible_to_contacts(),
                ),
                FileDocument.id.in_(attached_for_contact(principal.id)),
            )
        )
    )
