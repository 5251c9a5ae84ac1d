from tests.helpers import Api


async def test_sign_up_sign_in_and_me(api: Api) -> None:
    admin = await api.sign_up_firm()
    response = await api.client.get("/v1/me", headers=admin.headers)
    assert response.status_code == 200
    assert response.json()["role"] == "admin"
