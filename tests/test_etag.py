"""ETag on single resources; If-None-Match (304) on reads, If-Match (412) on writes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import Actor, Api, problem


@pytest.fixture
async def admin(api: Api) -> Actor:
    return await api.sign_up_firm("Acme Audit")


async def resource_urls(api: Api, admin: Actor) -> dict[str, tuple[str, dict[str, Any]]]:
    """Each single resource with a harmless change to PATCH it with."""
    office = (
        await api.client.post("/v1/offices", json={"name": "London"}, headers=admin.headers)
    ).json()
    user = await api.create_user(admin)
    return {
        "firm": ("/v1/firm", {"name": "Acme Audit & Tax"}),
        "office": (f"/v1/offices/{office['id']}", {"name": "London Bridge"}),
        "user": (f"/v1/users/{user['id']}", {"name": "Samuel Staff"}),
    }


async def test_get_carries_an_etag_and_honours_if_none_match(api: Api, admin: Actor) -> None:
    for url, _ in (await resource_urls(api, admin)).values():
        first = await api.client.get(url, headers=admin.headers)
        etag = first.headers["etag"]
        assert etag.startswith('"') and etag.endswith('"')

        cached = await api.client.get(url, headers={**admin.headers, "If-None-Match": etag})
        assert cached.status_code == 304, url
        assert cached.content == b""
        assert cached.headers["etag"] == etag

        for header in (f'"x", {etag}', f"W/{etag}", "*"):
            again = await api.client.get(url, headers={**admin.headers, "If-None-Match": header})
            assert again.status_code == 304, (url, header)

        other = await api.client.get(url, headers={**admin.headers, "If-None-Match": '"999"'})
        assert other.status_code == 200 and other.json() == first.json()


async def test_stale_if_match_changes_nothing(api: Api, admin: Actor) -> None:
    for url, change in (await resource_urls(api, admin)).values():
        before = await api.client.get(url, headers=admin.headers)
        etag = before.headers["etag"]
        fresh = await api.client.patch(
            url, json=change, headers={**admin.headers, "If-Match": etag}
        )
        assert fresh.status_code == 200, (url, fresh.text)
        new_etag = fresh.headers["etag"]
        assert new_etag != etag

        # Someone still holding the first version tries to write.
        stale = await api.client.patch(
            url, json={"name": "Lost update"}, headers={**admin.headers, "If-Match": etag}
        )

        problem(stale, 412, "stale_etag")
        now = await api.client.get(url, headers=admin.headers)
        assert now.json() == fresh.json()
        assert now.headers["etag"] == new_etag


async def test_current_if_match_succeeds_with_a_new_etag(api: Api, admin: Actor) -> None:
    for url, change in (await resource_urls(api, admin)).values():
        etag = (await api.client.get(url, headers=admin.headers)).headers["etag"]
        response = await api.client.patch(
            url, json=change, headers={**admin.headers, "If-Match": etag}
        )
        assert response.status_code == 200
        assert response.headers["etag"] != etag
        assert (await api.client.get(url, headers=admin.headers)).headers[
            "etag"
        ] == response.headers["etag"]
        # "*" matches any current version; no header at all is last-writer-wins.
        star = await api.client.patch(url, json=change, headers={**admin.headers, "If-Match": "*"})
        assert star.status_code == 200


async def test_an_unchanged_patch_keeps_the_etag(api: Api, admin: Actor) -> None:
    etag = (await api.client.get("/v1/firm", headers=admin.headers)).headers["etag"]
    response = await api.client.patch(
        "/v1/firm", json={"name": "Acme Audit"}, headers={**admin.headers, "If-Match": etag}
    )
    assert response.status_code == 200
    assert response.headers["etag"] == etag


async def test_delete_with_if_match(api: Api, admin: Actor) -> None:
    urls = await resource_urls(api, admin)
    for kind in ("office", "user"):
        url, change = urls[kind]
        etag = (await api.client.get(url, headers=admin.headers)).headers["etag"]
        await api.client.patch(url, json=change, headers=admin.headers)

        problem(
            await api.client.delete(url, headers={**admin.headers, "If-Match": etag}),
            412,
            "stale_etag",
        )
        current = await api.client.get(url, headers=admin.headers)
        assert current.status_code == 200

        deleted = await api.client.delete(
            url, headers={**admin.headers, "If-Match": current.headers["etag"]}
        )
        assert deleted.status_code == 204
        problem(await api.client.get(url, headers=admin.headers), 404)


async def test_etags_change_with_every_write(api: Api, admin: Actor) -> None:
    office = (
        await api.client.post("/v1/offices", json={"name": "Oslo"}, headers=admin.headers)
    ).json()
    url = f"/v1/offices/{office['id']}"
    seen = set()
    for n in range(3):
        response = await api.client.patch(
            url, json={"address": f"Street {n}"}, headers=admin.headers
        )
        seen.add(response.headers["etag"])
        assert (await api.client.get(url, headers=admin.headers)).headers[
            "etag"
        ] == response.headers["etag"]
    assert len(seen) == 3


async def test_signing_in_does_not_change_the_users_etag(api: Api, admin: Actor) -> None:
    staff = await api.create_user(admin)
    before = await api.client.get(f"/v1/users/{staff['id']}", headers=admin.headers)
    await api.sign_in(staff["email"])
    after = await api.client.get(f"/v1/users/{staff['id']}", headers=admin.headers)
    assert after.json()["last_login_at"] is not None
    assert after.headers["etag"] == before.headers["etag"]
