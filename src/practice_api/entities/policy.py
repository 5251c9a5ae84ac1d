"""Who may do what with entities: each action's rule is a row of ``access.matrix``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from practice_api.access.policy import EntityContext, entity_policy, firm_policy
from practice_api.auth.principals import Principal

can_list_entities = firm_policy("entities.list")
can_create_entity = firm_policy("entities.create")
can_view_entity = entity_policy("entity.view")
can_update_entity = entity_policy("entity.update")
can_delete_entity = entity_policy("entity.delete")
can_change_entity_owner = entity_policy("entity.change_owner")

# What a shared viewer may not do. The contacts and requests routes take these as their
# policies (path parameter ``entity_id``); code that finds the entity elsewhere (a request
# body) calls ``access.policy.require(session, principal, entity, "requests.initiate")``.
can_manage_contacts = entity_policy("contacts.manage")
can_authorize_contacts = entity_policy("contacts.authorize")
can_initiate_requests = entity_policy("requests.initiate")

CanListEntities = Annotated[Principal, Depends(can_list_entities)]
CanCreateEntity = Annotated[Principal, Depends(can_create_entity)]
CanViewEntity = Annotated[EntityContext, Depends(can_view_entity)]
CanUpdateEntity = Annotated[EntityContext, Depends(can_update_entity)]
CanDeleteEntity = Annotated[EntityContext, Depends(can_delete_entity)]
CanChangeEntityOwner = Annotated[EntityContext, Depends(can_change_entity_owner)]
CanManageContacts = Annotated[EntityContext, Depends(can_manage_contacts)]
CanAuthorizeContacts = Annotated[EntityContext, Depends(can_authorize_contacts)]
CanInitiateRequests = Annotated[EntityContext, Depends(can_initiate_requests)]
