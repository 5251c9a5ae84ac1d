"""Who may answer a client request, from the rows of ``access.matrix``.

* Portal contacts (``portal.client_request``, contact tokens only): a request they are a
  recipient of, on an entity they still have access to; anything else is 404.
* Guests (``guest.client_request``): the secret link in the path is the only credential
  and opens one request (``tokens.find_recipient``: unknown, expired or revoked links and
  cancelled requests are 404). When the request asks for a one-time code, the
  questionnaire routes also need the session ``verify_code`` gave (header
  ``X-Guest-Session``; 401 ``guest_code_required`` without it). Every guest route is rate
  limited per address and per link (429 with ``Retry-After``) before the link is looked up.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Path, Request
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.access.matrix import Level
from practice_api.access.policy import guest_policy, object_policy, principal_policy
from practice_api.access.principals import current_contact
from practice_api.client_requests import answering, tokens
from practice_api.client_requests.answering import SESSION_HEADER, Answerer
from practice_api.client_requests.models import ClientRequest, ClientRequestRecipient
from practice_api.core.client_address import client_address
from practice_api.core.principals import Principal
from practice_api.runtime import RuntimeDep


@dataclass(frozen=True)
class AnsweringContext:
    """The request being answered and who answers it (a portal contact or a guest)."""

    request: ClientRequest
    answerer: Answerer


@dataclass(frozen=True)
class _Found:
    request: ClientRequest
    recipient: ClientRequestRecipient


async def _contact_level(_session: AsyncSession, _principal: Principal, _found: object) -> Level:
    return "contact"  # what a contact's readable set holds, it reaches as the contact column


async def _portal_load(
    session: AsyncSession, principal: Principal, request_id: uuid.UUID
) -> _Found | None:
    found = await answering.contact_recipient(session, principal, request_id)
    return _Found(*found) if found is not None else None


def _portal_context(found: _Found, principal: Principal, _level: Level) -> AnsweringContext:
    return AnsweringContext(found.request, Answerer.contact(principal, found.recipient))


portal_answering = object_policy(
    "portal.client_request",
    "portal",
    param="request_id",
    load=_portal_load,
    level=_contact_level,
    build=_portal_context,
    not_found=answering.request_not_found,
    principal=current_contact,
)
portal_contact = principal_policy("portal.self")


async def _guest_load(session: AsyncSession, token: str) -> _Found | None:
    found = await tokens.find_recipient(session, token)
    return _Found(request=found[1], recipient=found[0]) if found is not None else None


guest_link = guest_policy(
    "guest.client_request", param="token", load=_guest_load, not_found=answering.link_not_found
)


async def guest_rate_limit(
    request: Request,
    runtime: RuntimeDep,
    token: Annotated[str, Path(description="The secret of the guest's link.")],
) -> None:
    """Counted before the link is looked up: wrong links count against the address."""
    address = client_address(request, runtime.settings.trusted_proxies)
    await answering.rate_limit_guest(runtime, token, address)


async def _guest_link_context(
    found: Annotated[_Found, Depends(guest_link)],
) -> AnsweringContext:
    return AnsweringContext(found.request, Answerer.guest(found.recipient))


async def _guest_answering(
    context: Annotated[AnsweringContext, Depends(_guest_link_context)],
    session_header: Annotated[
        str | None,
        Header(
            alias=SESSION_HEADER,
            max_length=200,
            description="The session from `POST .../code/verify`, when the request asks "
            "for a one-time code.",
        ),
    ] = None,
) -> AnsweringContext:
    answering.check_session(context.request, context.answerer.recipient, session_header)
    return context


CanAnswerInPortal = Annotated[AnsweringContext, Depends(portal_answering)]
PortalContact = Annotated[Principal, Depends(portal_contact)]
# The link alone (the one-time code routes) and the questionnaire (link + session if asked).
GuestLink = Annotated[AnsweringContext, Depends(_guest_link_context)]
CanAnswerAsGuest = Annotated[AnsweringContext, Depends(_guest_answering)]
