"""Who may use the firm's client request templates: rows ``client_request_templates.*`` of
``access.matrix`` (every staff user of the firm reads, adds, edits and archives them; another
firm's template is not found)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from practice_api.access.policy import firm_policy
from practice_api.client_requests.template_models import ClientRequestTemplate
from practice_api.client_requests.template_service import TemplateRepository
from practice_api.core.principals import Principal
from practice_api.db import SessionDep

can_list_templates = firm_policy("client_request_templates.list")
can_view_templates = firm_policy("client_request_templates.view")
can_create_templates = firm_policy("client_request_templates.create")
can_manage_templates = firm_policy("client_request_templates.manage")


async def viewable_template(
    template_id: uuid.UUID,
    session: SessionDep,
    principal: Annotated[Principal, Depends(can_view_templates)],
) -> ClientRequestTemplate:
    return await TemplateRepository(session, principal.firm_id).get_or_404(template_id)


async def manageable_template(
    template_id: uuid.UUID,
    session: SessionDep,
    principal: Annotated[Principal, Depends(can_manage_templates)],
) -> ClientRequestTemplate:
    return await TemplateRepository(session, principal.firm_id).get_or_404(template_id)


CanListTemplates = Annotated[Principal, Depends(can_list_templates)]
CanViewTemplates = Annotated[Principal, Depends(can_view_templates)]
CanCreateTemplates = Annotated[Principal, Depends(can_create_templates)]
CanManageTemplates = Annotated[Principal, Depends(can_manage_templates)]
ViewableTemplate = Annotated[ClientRequestTemplate, Depends(viewable_template)]
ManageableTemplate = Annotated[ClientRequestTemplate, Depends(manageable_template)]
