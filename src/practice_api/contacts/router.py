from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.contacts import address_book, grants, groups, invitations
from practice_api.contacts.models import Contact, ContactGroup
from practice_api.contacts.policy import (
    CanAuthorizeContacts,
    CanCreateContact,
    CanEditContact,
    CanListContacts,
    CanManageContacts,
    CanManageGroup,
    CanRevokeGrant,
    CanViewContact,
    CanViewEntity,
    CanViewGrant,
    CanViewGroup,
)
from practice_api.contacts.repository import (
    CONTACT_ORDERING,
    GRANT_ORDERING,
    GROUP_ORDERING,
    ContactRepository,
    GrantRepository,
    GroupRepository,
)
from practice_api.contacts.schemas import (
    ContactCreate,
    ContactGroupCreate,
    ContactGroupPage,
    ContactGroupRead,
    ContactGroupUpdate,
    ContactPage,
    ContactRead,
    ContactUpdate,
    EntityContactPage,
    EntityContactPut,
    EntityContactRead,
    InvitationRead,
    PortalStatus,
)
from practice_api.core.errors import problem_responses
from practice_api.core.etag import IfMatchHeader, set_etag
from practice_api.core.http import created, updated
from practice_api.core.pagination import Listing, PageParams, page_params, page_response
from practice_api.db import SessionDep
from practice_api.runtime import RuntimeDep

router = APIRouter(tags=["contacts"])
groups_router = APIRouter(tags=["contact-groups"])

PageDep = Annotated[PageParams, Depends(page_params)]

CONTACT_LISTING = Listing.of(Contact, ContactRead)


# --- the address book -------------------------------------------------------------------


@router.get(
    "/v1/contacts",
    operation_id="contacts_list",
    summary="List the firm's contacts (client-side people)",
    response_model=ContactPage,
    responses=problem_responses(400, 401, 403, 422),
)
async def list_contacts(
    session: SessionDep,
    principal: CanListContacts,
    page: PageDep,
    order_by: str = CONTACT_ORDERING.param(),
    portal_status: PortalStatus | None = None,
    entity_id: Annotated[
        uuid.UUID | None, Query(description="Only contacts with access to this entity.")
    ] = None,
    q: Annotated[str | None, Query(max_length=200, description="Name or e-mail contains")] = None,
) -> Response:
    contacts = ContactRepository(session, principal.firm_id)
    statement = contacts.filtered(q=q, portal_status=portal_status, entity_id=entity_id)
    rows, cursor = await contacts.page_rows(
        statement, page, CONTACT_ORDERING, order_by, CONTACT_LISTING
    )
    return page_response(CONTACT_LISTING.items(rows), cursor)


@router.post(
    "/v1/contacts",
    operation_id="contacts_create",
    summary="Add a contact to the firm's address book",
    description="The e-mail is unique among the firm's contacts (409 `contact_email_taken`). "
    "A new contact has no access: grant it with `PUT /v1/entities/{id}/contacts/{contact_id}`.",
    status_code=status.HTTP_201_CREATED,
    response_model=ContactRead,
    responses=problem_responses(401, 403, 409, 422),
)
async def create_contact(
    body: ContactCreate, response: Response, session: SessionDep, principal: CanCreateContact
) -> ContactRead:
    contact = await address_book.create_contact(session, principal, body)
    created(response, f"/v1/contacts/{contact.id}", contact.version)
    return ContactRead.build(contact)


@router.get(
    "/v1/contacts/{contact_id}",
    operation_id="contacts_get",
    summary="Get a contact",
    response_model=ContactRead,
    responses=problem_responses(304, 401, 403, 404, 422),
)
async def get_contact(request: Request, response: Response, context: CanViewContact) -> ContactRead:
    set_etag(request, response, context.contact.version)
    return ContactRead.build(context.contact)


@router.patch(
    "/v1/contacts/{contact_id}",
    operation_id="contacts_update",
    summary="Change a contact (admins; responsible and editors of one of its entities)",
    description="Changing the e-mail invalidates a pending invitation or reset link.",
    response_model=ContactRead,
    responses=problem_responses(401, 403, 404, 409, 412, 422),
)
async def update_contact(
    body: ContactUpdate,
    response: Response,
    session: SessionDep,
    context: CanEditContact,
    if_match: IfMatchHeader = None,
) -> ContactRead:
    contact = await address_book.update_contact(session, context, body, if_match)
    updated(response, contact.version)
    return ContactRead.build(contact)


@router.delete(
    "/v1/contacts/{contact_id}",
    operation_id="contacts_delete",
    summary="Delete a contact: its access, group memberships and sessions end",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404, 412, 422),
)
async def delete_contact(
    session: SessionDep, context: CanEditContact, if_match: IfMatchHeader = None
) -> Response:
    await address_book.delete_contact(session, context, if_match)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/v1/contacts/{contact_id}/invite",
    operation_id="contacts_invite",
    summary="Invite a contact to the portal (e-mails a single-use, expiring link)",
    description="The link carries a secret stored only as a hash; inviting again invalidates "
    "the earlier link. The frontend page it opens calls `POST /v1/portal/activate`. The "
    "contact needs access to at least one entity (409 `contact_without_access`); an active "
    "contact uses the password reset instead (409 `contact_already_active`).",
    response_model=InvitationRead,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def invite_contact(
    session: SessionDep, runtime: RuntimeDep, context: CanEditContact
) -> InvitationRead:
    contact, expires_at = await invitations.invite_contact(session, runtime, context)
    return InvitationRead(
        contact_id=contact.id,
        portal_status=contact.portal_status,
        expires_at=expires_at,
    )


@router.post(
    "/v1/contacts/{contact_id}/disable",
    operation_id="contacts_disable",
    summary="Disable a contact's portal access: their tokens stop working at once",
    response_model=ContactRead,
    responses=problem_responses(401, 403, 404, 422),
)
async def disable_contact(
    response: Response, session: SessionDep, context: CanEditContact
) -> ContactRead:
    contact = await address_book.disable_contact(session, context)
    updated(response, contact.version)
    return ContactRead.build(contact)


@router.post(
    "/v1/contacts/{contact_id}/enable",
    operation_id="contacts_enable",
    summary="Enable a disabled contact again (active if they had set a password, else none)",
    response_model=ContactRead,
    responses=problem_responses(401, 403, 404, 422),
)
async def enable_contact(
    response: Response, session: SessionDep, context: CanEditContact
) -> ContactRead:
    contact = await address_book.enable_contact(session, context)
    updated(response, contact.version)
    return ContactRead.build(contact)


# --- access to entities -----------------------------------------------------------------


@router.get(
    "/v1/entities/{entity_id}/contacts",
    operation_id="entity_contacts_list",
    summary="List the contacts with access to an entity, with their roles",
    response_model=EntityContactPage,
    responses=problem_responses(400, 401, 403, 404, 422),
)
async def list_entity_contacts(
    session: SessionDep,
    context: CanViewEntity,
    page: PageDep,
    order_by: str = GRANT_ORDERING.param(),
) -> EntityContactPage:
    grants = GrantRepository(session, context.principal.firm_id)
    rows, cursor = await grants.page(
        grants.on_entity(context.entity.id), page, GRANT_ORDERING, order_by
    )
    return EntityContactPage(items=[EntityContactRead.build(g) for g in rows], next_cursor=cursor)


@router.get(
    "/v1/entities/{entity_id}/contacts/{contact_id}",
    operation_id="entity_contacts_get",
    summary="Get a contact's access to an entity",
    response_model=EntityContactRead,
    responses=problem_responses(304, 401, 403, 404, 422),
)
async def get_entity_contact(
    request: Request, response: Response, found: CanViewGrant
) -> EntityContactRead:
    _, grant = found
    set_etag(request, response, grant.version)
    return EntityContactRead.build(grant)


@router.put(
    "/v1/entities/{entity_id}/contacts/{contact_id}",
    operation_id="entity_contacts_put",
    summary="Give a contact access to an entity, or change its role (client authorization)",
    description="The responsible, editors and admins only (viewers: 403 "
    "`contacts_authorize_forbidden`). 201 when the access is new, 200 when it existed.",
    response_model=EntityContactRead,
    responses={
        201: {"model": EntityContactRead, "description": "Access granted"},
        **problem_responses(401, 403, 404, 422),
    },
)
async def put_entity_contact(
    contact_id: uuid.UUID,
    body: EntityContactPut,
    response: Response,
    session: SessionDep,
    context: CanAuthorizeContacts,
) -> EntityContactRead:
    grant, new = await grants.put_grant(session, context, contact_id, body)
    if new:
        response.status_code = status.HTTP_201_CREATED
        created(response, f"/v1/entities/{grant.entity_id}/contacts/{grant.contact_id}")
    updated(response, grant.version)
    return EntityContactRead.build(grant)


@router.delete(
    "/v1/entities/{entity_id}/contacts/{contact_id}",
    operation_id="entity_contacts_delete",
    summary="Remove a contact's access to an entity (their last one ends their sessions)",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404, 412, 422),
)
async def delete_entity_contact(
    session: SessionDep, found: CanRevokeGrant, if_match: IfMatchHeader = None
) -> Response:
    context, grant = found
    await grants.delete_grant(session, context, grant, if_match)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- contact groups ---------------------------------------------------------------------


async def _read_groups(session: AsyncSession, groups: list[ContactGroup]) -> list[ContactGroupRead]:
    if not groups:
        return []
    members = await GroupRepository(session, groups[0].firm_id).members_of([g.id for g in groups])
    return [ContactGroupRead.build(g, members.get(g.id, [])) for g in groups]


@groups_router.get(
    "/v1/entities/{entity_id}/contact-groups",
    operation_id="contact_groups_list",
    summary="List an entity's contact groups, with their members",
    response_model=ContactGroupPage,
    responses=problem_responses(400, 401, 403, 404, 422),
)
async def list_groups(
    session: SessionDep,
    context: CanViewEntity,
    page: PageDep,
    order_by: str = GROUP_ORDERING.param(),
) -> ContactGroupPage:
    groups = GroupRepository(session, context.principal.firm_id)
    rows, cursor = await groups.page(
        groups.on_entity(context.entity.id), page, GROUP_ORDERING, order_by
    )
    return ContactGroupPage(items=await _read_groups(session, list(rows)), next_cursor=cursor)


@groups_router.post(
    "/v1/entities/{entity_id}/contact-groups",
    operation_id="contact_groups_create",
    summary="Create a contact group on an entity (responsible, editors, admins)",
    description="Members must have access to the entity (422 `contact_without_entity_access`).",
    status_code=status.HTTP_201_CREATED,
    response_model=ContactGroupRead,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def create_group(
    body: ContactGroupCreate, response: Response, session: SessionDep, context: CanManageContacts
) -> ContactGroupRead:
    group = await groups.create_group(session, context, body)
    created(response, f"/v1/entities/{group.entity_id}/contact-groups/{group.id}", group.version)
    return (await _read_groups(session, [group]))[0]


@groups_router.get(
    "/v1/entities/{entity_id}/contact-groups/{group_id}",
    operation_id="contact_groups_get",
    summary="Get a contact group with its members",
    response_model=ContactGroupRead,
    responses=problem_responses(304, 401, 403, 404, 422),
)
async def get_group(
    request: Request, response: Response, session: SessionDep, context: CanViewGroup
) -> ContactGroupRead:
    set_etag(request, response, context.group.version)
    return (await _read_groups(session, [context.group]))[0]


@groups_router.patch(
    "/v1/entities/{entity_id}/contact-groups/{group_id}",
    operation_id="contact_groups_update",
    summary="Rename a contact group or change its description",
    response_model=ContactGroupRead,
    responses=problem_responses(401, 403, 404, 409, 412, 422),
)
async def update_group(
    body: ContactGroupUpdate,
    response: Response,
    session: SessionDep,
    context: CanManageGroup,
    if_match: IfMatchHeader = None,
) -> ContactGroupRead:
    group = await groups.update_group(session, context, body, if_match)
    updated(response, group.version)
    return (await _read_groups(session, [group]))[0]


@groups_router.delete(
    "/v1/entities/{entity_id}/contact-groups/{group_id}",
    operation_id="contact_groups_delete",
    summary="Delete a contact group (discussions shared with it are no longer shared with it)",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404, 412, 422),
)
async def delete_group(
    session: SessionDep, context: CanManageGroup, if_match: IfMatchHeader = None
) -> Response:
    await groups.delete_group(session, context, if_match)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@groups_router.put(
    "/v1/entities/{entity_id}/contact-groups/{group_id}/members/{contact_id}",
    operation_id="contact_group_members_put",
    summary="Add a contact to a group (only contacts with access to the entity)",
    description="Repeating the call changes nothing.",
    response_model=ContactGroupRead,
    responses=problem_responses(401, 403, 404, 422),
)
async def add_member(
    contact_id: uuid.UUID, response: Response, session: SessionDep, context: CanManageGroup
) -> ContactGroupRead:
    await groups.add_member(session, context, contact_id)
    updated(response, context.group.version)
    return (await _read_groups(session, [context.group]))[0]


@groups_router.delete(
    "/v1/entities/{entity_id}/contact-groups/{group_id}/members/{contact_id}",
    operation_id="contact_group_members_delete",
    summary="Take a contact out of a group",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404, 422),
)
async def remove_member(
    contact_id: uuid.UUID, session: SessionDep, context: CanManageGroup
) -> Response:
    await groups.remove_member(session, context, contact_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
