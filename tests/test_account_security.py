"""Finding 8: changing your own e-mail or password takes the current password."""

from __future__ import annotations

import pytest

from tests.helpers import PASSWORD, Api, problem


@pytest.mark.parametrize(
    "change", [{"password": "a brand new secret"}, {"email": "taken-over@example.com"}]
)
async def test_own_email_or_password_needs_the_current_password(
    api: Api, change: dict[str, str]
) -> None:
    admin = await api.sign_up_firm()
    url = f"/v1/users/{admin.user_id}"
    problem(
        await api.client.patch(url, json=change, headers=admin.headers),
        422,
        "current_password_required",
    )
    problem(
        await api.client.patch(
            url, json={**change, "current_password": "a wrong guess"}, headers=admin.headers
        ),
        403,
        "current_password_invalid",
    )
    # Nothing changed: the old password still signs in.
    assert (await api.token(admin.email)).status_code == 200
    response = await api.client.patch(
        url, json={**change, "current_password": PASSWORD}, headers=admin.headers
    )
    assert response.status_code == 200, response.text
    assert "current_password" not in response.json()


async def test_other_changes_and_other_users_need_no_current_password(api: Api) -> None:
    admin = await api.sign_up_firm()
    staff = await api.add_staff(admin)
    own = await api.client.patch(
        f"/v1/users/{admin.user_id}", json={"name": "Renamed"}, headers=admin.headers
    )
    assert own.status_code == 200, own.text
    # An admin resetting a colleague's password or e-mail is an administrative act.
    other = await api.client.patch(
        f"/v1/users/{staff.user_id}",
        json={"password": "a brand new secret", "email": "moved@example.com"},
        headers=admin.headers,
    )
    assert other.status_code == 200, other.text
