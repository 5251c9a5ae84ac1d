"""Idempotency-Key on POST: replay the first answer; refuse the key for another request.

The middleware's documented rules (core/idempotency.py): keys are per principal; the
same key with another request is 409 ``idempotency_key_reused``; answers below 500 are
stored and replayed (so a 4xx is replayed too); server errors are not stored, so a retry
after a 5xx runs again; anonymous POSTs ignore the header.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.helpers import PASSWORD, Actor, Api, problem


def keyed(actor: Actor, key: str) -> dict[str, str]:
    return {**actor.headers, "Idempotency-Key": key}


async def office_names(api: Api, actor: Actor) -> list[str]:
    body = (await api.client.get("/v1/offices", headers=actor.headers)).json()
    return [o["name"] for o in body["items"]]


async def test_same_key_same_body_replays_the_first_answer(api: Api) -> None:
    admin = await api.sign_up_firm()

    first = await api.client.post(
        "/v1/offices", json={"name": "London"}, headers=keyed(admin, "k-1")
    )
    second = await api.client.post(
        "/v1/offices", json={"name": "London"}, headers=keyed(admin, "k-1")
    )

    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    assert second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["idempotent-replayed"] == "true"
    assert second.headers["location"] == first.headers["location"]
    assert second.headers["etag"] == first.headers["etag"]
    assert second.headers["content-type"] == first.headers["content-type"]
    assert second.headers["x-request-id"] != first.headers["x-request-id"]
    assert await office_names(api, admin) == ["London"]


async def test_same_key_other_body_is_refused(api: Api) -> None:
    admin = await api.sign_up_firm()
    await api.client.post("/v1/offices", json={"name": "London"}, headers=keyed(admin, "k-2"))

    other = await api.client.post(
        "/v1/offices", json={"name": "Paris"}, headers=keyed(admin, "k-2")
    )
    other_path = await api.client.post(
        "/v1/users",
        json={"email": "u@example.com", "name": "U", "password": PASSWORD},
        headers=keyed(admin, "k-2"),
    )

    problem(other, 409, "idempotency_key_reused")
    problem(other_path, 409, "idempotency_key_reused")
    assert await office_names(api, admin) == ["London"]
    users = (await api.client.get("/v1/users", headers=admin.headers)).json()["items"]
    assert len(users) == 1


async def test_keys_are_per_principal(api: Api) -> None:
    admin = await api.sign_up_firm()
    second_admin = await api.add_staff(admin, role="admin")
    other_firm = await api.sign_up_firm("Other Firm")

    a = await api.client.post("/v1/offices", json={"name": "A"}, headers=keyed(admin, "shared"))
    b = await api.client.post(
        "/v1/offices", json={"name": "B"}, headers=keyed(second_admin, "shared")
    )
    c = await api.client.post(
        "/v1/offices", json={"name": "A"}, headers=keyed(other_firm, "shared")
    )

    assert (a.status_code, b.status_code, c.status_code) == (201, 201, 201)
    assert "idempotent-replayed" not in c.headers
    assert await office_names(api, admin) == ["A", "B"]
    assert await office_names(api, other_firm) == ["A"]


async def test_key_survives_a_new_sign_in_of_the_same_person(api: Api) -> None:
    admin = await api.sign_up_firm()
    first = await api.client.post("/v1/offices", json={"name": "A"}, headers=keyed(admin, "k-3"))
    again = await api.sign_in(admin.email)

    retry = await api.client.post("/v1/offices", json={"name": "A"}, headers=keyed(again, "k-3"))

    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.json() == first.json()


async def test_without_a_key_each_post_runs(api: Api) -> None:
    admin = await api.sign_up_firm()
    first = await api.client.post("/v1/offices", json={"name": "A"}, headers=admin.headers)
    second = await api.client.post("/v1/offices", json={"name": "A"}, headers=admin.headers)
    assert first.status_code == 201
    problem(second, 409, "office_name_taken")


async def test_client_errors_are_stored_and_replayed(api: Api) -> None:
    admin = await api.sign_up_firm()
    await api.client.post("/v1/offices", json={"name": "A"}, headers=admin.headers)

    first = await api.client.post("/v1/offices", json={"name": "A"}, headers=keyed(admin, "k-4"))
    # The conflict goes away, but the key still answers what it answered first.
    offices = (await api.client.get("/v1/offices", headers=admin.headers)).json()["items"]
    await api.client.delete(f"/v1/offices/{offices[0]['id']}", headers=admin.headers)
    retry = await api.client.post("/v1/offices", json={"name": "A"}, headers=keyed(admin, "k-4"))

    problem(first, 409, "office_name_taken")
    problem(retry, 409, "office_name_taken")
    assert retry.headers["idempotent-replayed"] == "true"
    assert await office_names(api, admin) == []


async def test_server_errors_are_not_stored(app: Any, api: Api) -> None:
    calls = []

    @app.post("/flaky-test")
    async def flaky() -> dict[str, int]:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("first attempt fails")
        return {"attempt": len(calls)}

    admin = await api.sign_up_firm()
    first = await api.client.post("/flaky-test", json={}, headers=keyed(admin, "k-5"))
    retry = await api.client.post("/flaky-test", json={}, headers=keyed(admin, "k-5"))
    replay = await api.client.post("/flaky-test", json={}, headers=keyed(admin, "k-5"))

    problem(first, 500, "internal_error")
    assert retry.status_code == 200 and retry.json() == {"attempt": 2}
    assert "idempotent-replayed" not in retry.headers
    assert replay.json() == {"attempt": 2} and replay.headers["idempotent-replayed"] == "true"
    assert len(calls) == 2


async def test_anonymous_posts_ignore_the_key(api: Api) -> None:
    body = {
        "firm_name": "Solo",
        "admin_name": "S",
        "admin_email": "solo@example.com",
        "admin_password": PASSWORD,
    }
    first = await api.client.post("/v1/firms", json=body, headers={"Idempotency-Key": "anon"})
    second = await api.client.post("/v1/firms", json=body, headers={"Idempotency-Key": "anon"})
    assert first.status_code == 201
    problem(second, 409, "email_taken")


async def test_invalid_keys(api: Api) -> None:
    admin = await api.sign_up_firm()
    for key in ("x" * 256, "   "):
        response = await api.client.post(
            "/v1/offices", json={"name": "A"}, headers=keyed(admin, key)
        )
        problem(response, 400, "invalid_idempotency_key")
    assert await office_names(api, admin) == []


async def test_other_methods_ignore_the_key(api: Api) -> None:
    admin = await api.sign_up_firm()
    office = (
        await api.client.post("/v1/offices", json={"name": "A"}, headers=admin.headers)
    ).json()
    url = f"/v1/offices/{office['id']}"
    first = await api.client.patch(url, json={"address": "1"}, headers=keyed(admin, "p"))
    second = await api.client.patch(url, json={"address": "2"}, headers=keyed(admin, "p"))
    assert first.status_code == second.status_code == 200
    assert "idempotent-replayed" not in second.headers
    assert second.json()["address"] == "2"


@pytest.mark.committed  # the second request must see the first one's committed claim
async def test_a_key_still_running_answers_409(app: Any, api: Api) -> None:
    release = asyncio.Event()
    started = asyncio.Event()

    @app.post("/slow-test")
    async def slow() -> dict[str, str]:
        started.set()
        await release.wait()
        return {"done": "yes"}

    admin = await api.sign_up_firm()
    first = asyncio.create_task(api.client.post("/slow-test", json={}, headers=keyed(admin, "k-6")))
    await asyncio.wait_for(started.wait(), 5)
    during = await api.client.post("/slow-test", json={}, headers=keyed(admin, "k-6"))
    release.set()
    done = await first
    after = await api.client.post("/slow-test", json={}, headers=keyed(admin, "k-6"))

    problem(during, 409, "idempotency_request_in_progress")
    assert done.status_code == 200
    assert after.json() == {"done": "yes"} and after.headers["idempotent-replayed"] == "true"


async def test_a_revoked_session_gets_no_replay(api: Api) -> None:
    admin = await api.sign_up_firm()
    first = await api.client.post("/v1/offices", json={"name": "Rome"}, headers=keyed(admin, "k"))
    assert first.status_code == 201
    assert (await api.client.post("/v1/auth/logout", headers=admin.headers)).status_code == 204

    again = await api.client.post("/v1/offices", json={"name": "Rome"}, headers=keyed(admin, "k"))

    problem(again, 401)
    assert "idempotent-replayed" not in again.headers
