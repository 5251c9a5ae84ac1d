"""Sign-in, tokens, refresh rotation, sign-out and who-am-I."""

from __future__ import annotations

import base64
import datetime as dt
import json
import time
from typing import Any

import httpx
from jose import jwt
from sqlalchemy import update

from practice_api.access.models import RefreshToken
from practice_api.core.time import utcnow
from practice_api.settings import Settings
from tests.helpers import PASSWORD, Actor, Api, problem


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _b64(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def forged(actor: Actor, key: str, algorithm: str = "HS256", **claims: Any) -> str:
    """The actor's own access token, re-signed with ``key`` and changed ``claims``."""
    payload = {**jwt.get_unverified_claims(actor.token), **claims}
    return str(jwt.encode(payload, key, algorithm=algorithm))


def assert_unauthenticated(response: httpx.Response, code: str) -> None:
    problem(response, 401, code)
    assert response.headers["www-authenticate"] == "Bearer"


async def refresh(api: Api, refresh_token: str) -> httpx.Response:
    return await api.client.post(
        "/v1/auth/token", data={"grant_type": "refresh_token", "refresh_token": refresh_token}
    )


# --- sign-in -------------------------------------------------------------------------


async def test_sign_in_returns_a_token_pair_that_opens_me(api: Api) -> None:
    admin = await api.sign_up_firm("Acme Audit")

    response = await api.token(admin.email.upper())  # e-mails are case-insensitive

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 900
    assert body["refresh_token"] and body["refresh_expires_in"] > 0
    claims = jwt.get_unverified_claims(body["access_token"])
    assert {"sub", "typ", "exp", "iat", "jti"} <= claims.keys()
    assert claims["sub"] == admin.user_id and claims["typ"] == "access"
    me = await api.client.get("/v1/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200
    assert me.json() == {
        "kind": "staff",
        "id": admin.user_id,
        "firm_id": admin.firm_id,
        "name": "Alice Admin",
        "email": admin.email,
        "role": "admin",
    }


async def test_sign_in_records_last_login(api: Api) -> None:
    admin = await api.sign_up_firm()
    user = (await api.client.get(f"/v1/users/{admin.user_id}", headers=admin.headers)).json()
    assert user["last_login_at"] is not None


async def test_wrong_password_and_unknown_user_answer_the_same(api: Api) -> None:
    admin = await api.sign_up_firm()

    wrong_password = await api.token(admin.email, "not the password")
    unknown_user = await api.token("nobody@example.com", "not the password")

    assert_unauthenticated(wrong_password, "invalid_credentials")
    assert_unauthenticated(unknown_user, "invalid_credentials")
    assert wrong_password.json() == unknown_user.json()


async def test_sign_in_without_credentials_is_malformed(api: Api) -> None:
    response = await api.client.post("/v1/auth/token", data={"username": "a@example.com"})
    problem(response, 400, "credentials_missing")


# --- access tokens that must be refused ---------------------------------------------


async def test_missing_token(api: Api) -> None:
    assert_unauthenticated(await api.client.get("/v1/me"), "token_missing")


async def test_garbage_token(api: Api) -> None:
    for token in ("garbage", "a.b.c", "Zm9v.YmFy.YmF6", ""):
        response = await api.client.get("/v1/me", headers=bearer(token))
        assert response.status_code == 401, token
        assert response.headers["www-authenticate"] == "Bearer"


async def test_token_signed_with_another_key(api: Api) -> None:
    admin = await api.sign_up_firm()
    token = forged(admin, "some-other-key-" + "y" * 32)
    assert_unauthenticated(await api.client.get("/v1/me", headers=bearer(token)), "token_invalid")


async def test_expired_token(api: Api, settings: Settings) -> None:
    admin = await api.sign_up_firm()
    past = int(time.time()) - 60
    token = forged(admin, settings.signing_key, iat=past - 900, exp=past)
    assert_unauthenticated(await api.client.get("/v1/me", headers=bearer(token)), "token_invalid")


async def test_token_with_alg_none(api: Api) -> None:
    admin = await api.sign_up_firm()
    claims = jwt.get_unverified_claims(admin.token)
    for alg in ("none", "None", "NONE"):
        token = f"{_b64({'alg': alg, 'typ': 'JWT'})}.{_b64(claims)}."
        response = await api.client.get("/v1/me", headers=bearer(token))
        assert_unauthenticated(response, "token_invalid")


async def test_token_with_another_algorithm(api: Api, settings: Settings) -> None:
    admin = await api.sign_up_firm()
    token = forged(admin, settings.signing_key, algorithm="HS512")
    assert_unauthenticated(await api.client.get("/v1/me", headers=bearer(token)), "token_invalid")


async def test_refresh_token_is_not_an_access_token(api: Api, settings: Settings) -> None:
    admin = await api.sign_up_firm()
    not_access = forged(admin, settings.signing_key, typ="refresh")
    response = await api.client.get("/v1/me", headers=bearer(admin.refresh_token))
    assert_unauthenticated(response, "token_invalid")
    response = await api.client.get("/v1/me", headers=bearer(not_access))
    assert_unauthenticated(response, "token_invalid")


async def test_resigned_token_with_correct_key_still_works(api: Api, settings: Settings) -> None:
    # Control for the forgeries above: the forging helper itself yields valid tokens.
    admin = await api.sign_up_firm()
    token = forged(admin, settings.signing_key)
    assert (await api.client.get("/v1/me", headers=bearer(token))).status_code == 200


# --- refresh rotation ----------------------------------------------------------------


async def test_refresh_rotates_and_reuse_revokes_the_family(api: Api) -> None:
    admin = await api.sign_up_firm()

    first = await refresh(api, admin.refresh_token)
    assert first.status_code == 200, first.text
    rotated = first.json()
    assert rotated["refresh_token"] != admin.refresh_token
    assert (
        await api.client.get("/v1/me", headers=bearer(rotated["access_token"]))
    ).status_code == 200

    second = await refresh(api, rotated["refresh_token"])
    assert second.status_code == 200, second.text
    newest = second.json()

    # The first refresh token comes back: it leaked, so the whole session ends.
    reused = await refresh(api, admin.refresh_token)
    assert_unauthenticated(reused, "refresh_token_reused")

    assert_unauthenticated(await refresh(api, newest["refresh_token"]), "refresh_token_invalid")
    for access in (admin.token, rotated["access_token"], newest["access_token"]):
        response = await api.client.get("/v1/me", headers=bearer(access))
        assert_unauthenticated(response, "token_revoked")


async def test_reuse_ends_only_that_session(api: Api) -> None:
    admin = await api.sign_up_firm()
    other_session = await api.sign_in(admin.email)
    assert (await refresh(api, admin.refresh_token)).status_code == 200

    assert (await refresh(api, admin.refresh_token)).status_code == 401

    assert (await api.client.get("/v1/me", headers=other_session.headers)).status_code == 200
    assert (await refresh(api, other_session.refresh_token)).status_code == 200


async def test_unknown_or_missing_refresh_token(api: Api) -> None:
    assert_unauthenticated(await refresh(api, "not-a-real-token"), "refresh_token_invalid")
    response = await api.client.post("/v1/auth/token", data={"grant_type": "refresh_token"})
    problem(response, 400, "refresh_token_missing")


async def test_refresh_token_expires(api: Api, app: Any) -> None:
    admin = await api.sign_up_firm()
    async with app.state.sessionmaker() as session:
        await session.execute(
            update(RefreshToken).values(expires_at=utcnow() - dt.timedelta(seconds=1))
        )
        await session.commit()
    assert_unauthenticated(await refresh(api, admin.refresh_token), "refresh_token_invalid")


# --- sign-out, deactivation, password change ----------------------------------------


async def test_logout_ends_the_session(api: Api) -> None:
    admin = await api.sign_up_firm()
    other_session = await api.sign_in(admin.email)

    response = await api.client.post("/v1/auth/logout", headers=admin.headers)

    assert response.status_code == 204
    assert response.content == b""
    assert_unauthenticated(await api.client.get("/v1/me", headers=admin.headers), "token_revoked")
    assert_unauthenticated(await refresh(api, admin.refresh_token), "refresh_token_invalid")
    # Another sign-in of the same person is another session and goes on working.
    assert (await api.client.get("/v1/me", headers=other_session.headers)).status_code == 200


async def test_logout_needs_a_token(api: Api) -> None:
    assert_unauthenticated(await api.client.post("/v1/auth/logout"), "token_missing")


async def test_deactivated_user_is_locked_out(api: Api) -> None:
    admin = await api.sign_up_firm()
    staff = await api.add_staff(admin)

    response = await api.client.post(f"/v1/users/{staff.user_id}/deactivate", headers=admin.headers)
    assert response.status_code == 200, response.text

    assert_unauthenticated(await api.client.get("/v1/me", headers=staff.headers), "token_revoked")
    assert_unauthenticated(await refresh(api, staff.refresh_token), "refresh_token_invalid")
    assert_unauthenticated(await api.token(staff.email), "invalid_credentials")

    response = await api.client.post(f"/v1/users/{staff.user_id}/reactivate", headers=admin.headers)
    assert response.status_code == 200, response.text
    # Old tokens stay dead; signing in again works.
    assert_unauthenticated(await api.client.get("/v1/me", headers=staff.headers), "token_revoked")
    again = await api.sign_in(staff.email)
    assert (await api.client.get("/v1/me", headers=again.headers)).status_code == 200


async def test_password_change_revokes_sessions(api: Api) -> None:
    admin = await api.sign_up_firm()
    staff = await api.add_staff(admin)

    response = await api.client.patch(
        f"/v1/users/{staff.user_id}", json={"password": "a brand new secret"}, headers=admin.headers
    )
    assert response.status_code == 200, response.text

    assert_unauthenticated(await api.client.get("/v1/me", headers=staff.headers), "token_revoked")
    assert_unauthenticated(await refresh(api, staff.refresh_token), "refresh_token_invalid")
    assert_unauthenticated(await api.token(staff.email, PASSWORD), "invalid_credentials")
    assert (await api.token(staff.email, "a brand new secret")).status_code == 200
    # Other users' sessions are untouched.
    assert (await api.client.get("/v1/me", headers=admin.headers)).status_code == 200


async def test_changing_your_own_password_keeps_this_session_only(api: Api) -> None:
    admin = await api.sign_up_firm()
    elsewhere = await api.sign_in(admin.email)  # the same admin on another device

    response = await api.client.patch(
        f"/v1/users/{admin.user_id}",
        json={"password": "a brand new secret", "current_password": PASSWORD},
        headers=admin.headers,
    )
    assert response.status_code == 200, response.text

    assert (await api.client.get("/v1/me", headers=admin.headers)).status_code == 200
    assert_unauthenticated(
        await api.client.get("/v1/me", headers=elsewhere.headers), "token_revoked"
    )


async def test_me_for_staff(api: Api) -> None:
    admin = await api.sign_up_firm()
    staff = await api.add_staff(admin, name="Sam Staff")

    body = (await api.client.get("/v1/me", headers=staff.headers)).json()

    assert body["role"] == "staff"
    assert body["name"] == "Sam Staff"
    assert body["firm_id"] == admin.firm_id
