"""Files in the rest of the API: share subscriptions by e-mail, the activity log, entity
deletion, and the periodic purge (through the app's own storage and settings)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from practice_api.events.dispatcher import Dispatcher
from practice_api.files.models import FileDocument, StoredFile
from practice_api.files.scheduled import purge_once, purge_periodically
from practice_api.shares.audience import SUBSCRIPTION_EVENTS, subscription_keys
from tests.event_helpers import SmtpServer
from tests.factories import create_entity
from tests.files import samples
from tests.helpers import Actor, Api, problem

pytest_plugins = ["tests.event_fixtures"]


def form(data: bytes, name: str = "report.pdf") -> dict[str, Any]:
    return {"files": {"file": (name, data, "application/pdf")}}


async def share(api: Api, admin: Actor, entity_id: str, user: Actor, **body: Any) -> None:
    response = await api.client.post(
        f"/v1/entities/{entity_id}/shares",
        json={"user_id": user.user_id, **body},
        headers=admin.headers,
    )
    assert response.status_code == 201, response.text


async def upload(api: Api, who: Actor, entity_id: str, data: bytes = samples.PDF) -> httpx.Response:
    response = await api.client.post(
        f"/v1/entities/{entity_id}/files", headers=who.headers, **form(data)
    )
    assert response.status_code == 201, response.text
    return response


class TestShareSubscriptions:
    @pytest.fixture
    def settings_overrides(self, smtp_server: SmtpServer) -> dict[str, Any]:
        return {"smtp_url": smtp_server.url}

    async def test_a_subscribed_viewer_is_emailed_of_uploads_and_versions(
        self, api: Api, dispatcher: Dispatcher, smtp_server: SmtpServer
    ) -> None:
        admin = await api.sign_up_firm("Acme Audit")
        subscribed, unsubscribed = await api.add_staff(admin), await api.add_staff(admin)
        entity = await create_entity(api, admin, name="Nordic Timber AS")
        await share(api, admin, entity["id"], subscribed, notifications=["file_uploaded"])
        await share(api, admin, entity["id"], unsubscribed, notifications=["response_received"])
        await dispatcher.drain()
        smtp_server.messages.clear()  # the share.created e-mails

        uploaded = await upload(api, admin, entity["id"])
        await dispatcher.drain()

        [mail] = smtp_server.messages
        assert mail.rcpt_tos == [subscribed.email]
        assert (
            mail.message["Subject"]
            == "[Acme Audit] Nordic Timber AS: Alice Admin uploaded report.pdf"
        )
        # In-app too: the subscription is the user's choice for both.
        inbox = await api.client.get("/v1/notifications", headers=subscribed.headers)
        [item] = [n for n in inbox.json()["items"] if n["type"] == "file.uploaded"]
        assert item["title"] == "Nordic Timber AS: Alice Admin uploaded report.pdf"
        assert item["entity_id"] == entity["id"]
        assert item["subject_id"] == uploaded.json()["id"]
        assert item["link"].endswith(f"/clients/{entity['id']}/files/{uploaded.json()['id']}")

        smtp_server.messages.clear()
        version = await api.client.post(
            f"/v1/files/{uploaded.json()['id']}/versions",
            headers=admin.headers,
            **form(samples.PDF + b"v2"),
        )
        assert version.status_code == 201, version.text
        await dispatcher.drain()
        assert [m.rcpt_tos for m in smtp_server.messages] == [[subscribed.email]]

    async def test_the_uploader_is_not_emailed_of_their_own_upload(
        self, api: Api, dispatcher: Dispatcher, smtp_server: SmtpServer
    ) -> None:
        admin = await api.sign_up_firm()
        editor = await api.add_staff(admin)
        entity = await create_entity(api, admin)
        await share(
            api, admin, entity["id"], editor, role="editor", notifications=["file_uploaded"]
        )
        await dispatcher.drain()
        smtp_server.messages.clear()
        await upload(api, editor, entity["id"])
        await dispatcher.drain()
        assert smtp_server.messages == []


def test_every_subscription_key_is_mapped_in_one_table() -> None:
    assert set(SUBSCRIPTION_EVENTS) == {"response_received", "file_uploaded", "request_completed"}
    assert subscription_keys("file.uploaded") == {"file_uploaded"}
    assert subscription_keys("file.version_added") == {"file_uploaded"}
    assert subscription_keys("file.downloaded") == frozenset()


async def test_every_download_is_in_the_entity_activity(api: Api) -> None:
    admin = await api.sign_up_firm()
    viewer = await api.add_staff(admin)
    entity = await create_entity(api, admin)
    await share(api, admin, entity["id"], viewer)
    body = (await upload(api, admin, entity["id"])).json()
    for _ in range(2):
        got = await api.client.get(body["content_url"], headers=viewer.headers)
        assert got.status_code == 200 and got.content == samples.PDF

    activity = await api.client.get(f"/v1/entities/{entity['id']}/activity", headers=viewer.headers)
    assert activity.status_code == 200, activity.text
    downloads = [item for item in activity.json()["items"] if item["type"] == "file.downloaded"]
    assert len(downloads) == 2
    assert {d["actor"]["id"] for d in downloads} == {viewer.user_id}
    assert downloads[0]["subject"]["id"] == body["id"]
    assert downloads[0]["payload"]["file_name"] == "report.pdf"
    assert (
        downloads[0]["summary"]
        == f"{downloads[0]['actor']['name']} downloaded report.pdf (version 1)"
    )


async def test_an_entity_with_files_is_archived_not_deleted(api: Api, app: Any) -> None:
    admin = await api.sign_up_firm()
    entity = await create_entity(api, admin)
    body = (await upload(api, admin, entity["id"])).json()
    # Even a deleted file (kept for the retention period) keeps the entity.
    assert (
        await api.client.delete(f"/v1/files/{body['id']}", headers=admin.headers)
    ).status_code == 204
    answer = await api.client.delete(f"/v1/entities/{entity['id']}", headers=admin.headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "archived"
    activity = await api.client.get(f"/v1/entities/{entity['id']}/activity", headers=admin.headers)
    [archived] = [i for i in activity.json()["items"] if i["type"] == "entity.archived"]
    assert archived["payload"]["dependents"] == {"files": 1}


async def test_an_entity_without_files_is_deleted(api: Api) -> None:
    admin = await api.sign_up_firm()
    entity = await create_entity(api, admin)
    answer = await api.client.delete(f"/v1/entities/{entity['id']}", headers=admin.headers)
    assert answer.status_code == 204
    problem(await api.client.get(f"/v1/entities/{entity['id']}/files", headers=admin.headers), 404)


async def _documents(app: Any) -> int:
    async with app.state.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(FileDocument)) or 0)


class TestPurge:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"file_retention_days": 0, "file_purge_interval_seconds": 0.05}

    async def test_purge_uses_the_app_storage_and_retention(self, api: Api, app: Any) -> None:
        admin = await api.sign_up_firm()
        entity = await create_entity(api, admin)
        body = (await upload(api, admin, entity["id"])).json()
        storage = app.state.runtime.storage
        async with app.state.sessionmaker() as session:
            [key] = await session.scalars(
                select(StoredFile.storage_key).where(
                    StoredFile.document_id == uuid.UUID(body["id"])
                )
            )
        assert await purge_once(app.state.runtime) == 0  # not deleted: kept
        await api.client.delete(f"/v1/files/{body['id']}", headers=admin.headers)
        assert await purge_once(app.state.runtime) == 1
        assert await _documents(app) == 0
        assert not await storage.exists(key)

    async def test_the_periodic_job_purges_until_stopped(self, api: Api, app: Any) -> None:
        admin = await api.sign_up_firm()
        entity = await create_entity(api, admin)
        body = (await upload(api, admin, entity["id"])).json()
        await api.client.delete(f"/v1/files/{body['id']}", headers=admin.headers)
        stop = asyncio.Event()
        job = asyncio.create_task(purge_periodically(app.state.runtime, stop))
        for _ in range(100):
            if await _documents(app) == 0:
                break
            await asyncio.sleep(0.05)
        stop.set()
        await asyncio.wait_for(job, 5)
        assert await _documents(app) == 0
