"""What a contact sees in the portal, composed from the domains' repositories (no SQL here).

Every visibility rule is one ``readable_by(principal)`` of the domain that owns the rows:
``entities.repository.readable_entities`` (the entities a contact was granted),
``files.repository.FileRepository.readable_by`` (what is shared on those entities, plus the
files attached to the discussions it reads) and
``discussions.repository.DiscussionRepository.readable_by`` (shared with one of its groups).
The functions below turn the rows the routes found into the contact's read models.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.contacts.repository import GrantRepository, GroupRepository
from practice_api.core.principals import Principal
from practice_api.discussions.models import Discussion, DiscussionComment
from practice_api.discussions.repository import DiscussionRepository
from practice_api.discussions.schemas import AttachmentRead
from practice_api.entities.models import Entity
from practice_api.portal.schemas import (
    PortalComment,
    PortalDiscussion,
    PortalEntity,
    PortalGroup,
    PortalPerson,
)

PORTAL_FILE_URL = "/v1/portal/files/{}/content"


async def portal_entities(
    session: AsyncSession, principal: Principal, rows: list[Entity]
) -> list[PortalEntity]:
    """The entities as the contact sees them, with its role on each (one statement)."""
    roles = await GrantRepository(session, principal.firm_id).roles_of(
        principal.id, [e.id for e in rows]
    )
    return [
        PortalEntity(
            id=e.id,
            name=e.name,
            kind=e.kind,
            role=roles.get(e.id, "viewer"),
            responsible_name=e.owner.display_name if e.owner is not None else None,
        )
        for e in rows
    ]


async def portal_discussions(
    session: AsyncSession, principal: Principal, rows: list[Discussion]
) -> list[PortalDiscussion]:
    """The discussions with the contact's groups in them, their members and attachments."""
    if not rows:
        return []
    repository = DiscussionRepository(session, principal.firm_id)
    groups = await repository.groups_of([d.id for d in rows], member=principal.id)
    attachments = await repository.attachments_of(
        discussion_ids=[d.id for d in rows], url=PORTAL_FILE_URL
    )
    group_ids = list({g.id for refs in groups.values() for g in refs})
    members = await GroupRepository(session, principal.firm_id).members_of(group_ids)
    return [
        PortalDiscussion(
            id=d.id,
            entity_id=d.entity_id,
            subject=d.subject,
            body=d.body,
            groups=[
                PortalGroup(
                    id=g.id,
                    name=g.name,
                    members=[PortalPerson(name=c.name, email=c.email) for c in members[g.id]],
                )
                for g in groups.get(d.id, [])
            ],
            created_by_name=d.created_by_name,
            last_comment_at=d.last_comment_at,
            attachments=attachments.get(d.id, []),
            created_at=d.created_at,
            updated_at=d.updated_at,
        )
        for d in rows
    ]


async def portal_comments(
    session: AsyncSession, principal: Principal, rows: list[DiscussionComment]
) -> list[PortalComment]:
    """Comments with their attachments (one statement), ``mine`` for the contact's own."""
    if not rows:
        return []
    attachments = await DiscussionRepository(session, principal.firm_id).attachments_of(
        comment_ids=[c.id for c in rows], url=PORTAL_FILE_URL
    )
    return [_comment(c, principal, attachments.get(c.id, [])) for c in rows]


def _comment(
    comment: DiscussionComment, principal: Principal, attachments: list[AttachmentRead]
) -> PortalComment:
    return PortalComment(
        id=comment.id,
        discussion_id=comment.discussion_id,
        author_kind=comment.author_kind,
        author_name=comment.author_name,
        mine=comment.author_kind == "contact" and comment.author_id == principal.id,
        body=comment.body,
        attachments=attachments,
        created_at=comment.created_at,
    )
