"""``readable_by(principal)``: each visibility rule is one statement in one place
(docs/architecture.md). The entity, file and discussion repositories answer, for a firm
admin, a staff user and a portal contact, exactly the rows the rule names."""

from __future__ import annotations

import uuid
from typing import Any

from practice_api.core.principals import Principal
from practice_api.discussions.repository import DiscussionRepository
from practice_api.entities.repository import EntityRepository, readable_entity_ids
from practice_api.files.repository import FileRepository
from tests.contact_helpers import create_group, portal_contact, post
from tests.factories import create_entity
from tests.files import samples
from tests.helpers import Actor, Api


async def _upload(api: Api, staff: Actor, entity_id: str, shared: bool = False) -> str:
    response = await api.client.post(
        f"/v1/entities/{entity_id}/files",
        files={"file": ("report.pdf", samples.PDF, "application/pdf")},
        data={"shared_with_contacts": "true" if shared else "false"},
        headers=staff.headers,
    )
    assert response.status_code == 201, response.text
    file_id: str = response.json()["id"]
    return file_id


def _principal(actor: Actor, kind: str = "staff", role: str | None = None) -> Principal:
    return Principal(
        kind=kind,  # type: ignore[arg-type]
        id=uuid.UUID(actor.user_id),
        firm_id=uuid.UUID(actor.firm_id),
        session_id=uuid.uuid4(),
        name="",
        email=actor.email,
        role=role,  # type: ignore[arg-type]
    )


async def _ids(session: Any, statement: Any) -> set[str]:
    return {str(row.id) for row in (await session.scalars(statement)).all()}


async def test_each_principal_reads_what_its_rule_names(api: Api, app: Any) -> None:
    admin = await api.sign_up_firm()
    staff = await api.add_staff(admin)
    mine = (await create_entity(api, staff))["id"]  # the staff user created it: owner
    other = (await create_entity(api, admin))["id"]  # not the staff user's
    contact, contact_actor = await portal_contact(api, app, admin, mine, "viewer")
    stranger, _ = await portal_contact(api, app, admin, other, "contributor")
    shared = await _upload(api, admin, mine, shared=True)
    private = await _upload(api, admin, mine)
    attached = await _upload(api, admin, mine)  # not shared, but attached to a discussion
    elsewhere = await _upload(api, admin, other, shared=True)
    group = await create_group(api, admin, mine, [contact["id"]])
    talk = await post(
        api,
        admin,
        f"/v1/entities/{mine}/discussions",
        {"subject": "Year end", "body": "Draft attached.", "group_ids": [group["id"]],
         "attachments": [attached]},
    )  # fmt: skip
    other_group = await create_group(api, admin, other, [stranger["id"]])
    other_talk = await post(
        api,
        admin,
        f"/v1/entities/{other}/discussions",
        {"subject": "Payroll", "body": "B", "group_ids": [other_group["id"]]},
    )
    every_file = {shared, private, attached, elsewhere}
    expected = {
        "admin": ({mine, other}, every_file, {talk["id"], other_talk["id"]}),
        "staff": ({mine}, {shared, private, attached}, {talk["id"]}),
        "contact": ({mine}, {shared, attached}, {talk["id"]}),
    }
    principals = {
        "admin": _principal(admin, role="admin"),
        "staff": _principal(staff, role="staff"),
        "contact": _principal(contact_actor, kind="contact"),
    }
    async with app.state.runtime.sessionmaker() as session:
        for name, principal in principals.items():
            firm = principal.firm_id
            entities = EntityRepository(session, principal).readable_by(principal)
            files = FileRepository(session, firm).readable_by(principal)
            discussions = DiscussionRepository(session, firm).readable_by(principal)
            found = (
                await _ids(session, entities),
                await _ids(session, files),
                await _ids(session, discussions),
            )
            assert found == expected[name], name
            ids = {str(i) for i in (await session.scalars(readable_entity_ids(principal))).all()}
            assert ids == expected[name][0], name
            # One object: found through the same rule, or not at all.
            files_repository = FileRepository(session, firm)
            for file_id in every_file:
                got = await files_repository.get_readable_by(principal, uuid.UUID(file_id))
                assert (got is not None) == (file_id in expected[name][1]), (name, file_id)
