"""Client request templates (issue 19, item 7): the firm's questionnaire library.

Add (same question schema and 422s as requests), list with cursors and filters, read with
an ETag, edit with If-Match, archive; another firm's template is not found."""

from __future__ import annotations

from typing import Any

from tests.helpers import Api, problem

QUESTIONS: list[dict[str, Any]] = [
    {"type": "yes_no", "prompt": "Did you move house in 2026?", "required": True},
    {
        "type": "single_choice",
        "id": "filing",
        "prompt": "How do you file?",
        "options": [{"value": "single", "label": "Single"}, {"value": "joint", "label": "Joint"}],
    },
    {"type": "number", "prompt": "Children under 18", "min": 0, "max": 20, "integer": True},
]


async def test_templates_round_trip_and_cross_firm(api: Api) -> None:
    admin = await api.sign_up_firm()
    staff = await api.add_staff(admin)
    base = "/v1/client-request-templates"

    made = await api.client.post(
        base,
        json={
            "title": "Year-end 2026",
            "description": "For individuals",
            "message": "Please answer before the end of January.",
            "questions": QUESTIONS,
            "due_in_days": 14,
        },
        headers=staff.headers,
    )
    assert made.status_code == 201, made.text
    template = made.json()
    assert made.headers["Location"] == f"{base}/{template['id']}"
    ids = [q["id"] for q in template["questions"]]
    assert ids[1] == "filing" and all(ids) and len(set(ids)) == 3
    assert template["archived"] is False and template["due_in_days"] == 14

    # Bad questions: one 422 naming each, nothing stored.
    bad = await api.client.post(
        base,
        json={
            "title": "Bad",
            "questions": [
                {"type": "single_choice", "prompt": "Pick", "options": []},
                {"type": "telepathy", "prompt": "?"},
            ],
        },
        headers=staff.headers,
    )
    body = problem(bad, 422)
    locs = [tuple(e["loc"][:3]) for e in body["errors"]]
    assert ("body", "questions", 0) in locs and ("body", "questions", 1) in locs
    duplicate = await api.client.post(
        base,
        json={"title": "Dup", "questions": [QUESTIONS[1], QUESTIONS[1]]},
        headers=staff.headers,
    )
    problem(duplicate, 422, "question_id_duplicate")
    empty = await api.client.post(
        base, json={"title": "None", "questions": []}, headers=staff.headers
    )
    problem(empty, 422)

    # Read: ETag, 304, and how many requests use it.
    got = await api.client.get(f"{base}/{template['id']}", headers=admin.headers)
    assert got.status_code == 200 and got.json()["request_count"] == 0
    etag = got.headers["ETag"]
    again = await api.client.get(
        f"{base}/{template['id']}", headers={**admin.headers, "If-None-Match": etag}
    )
    assert again.status_code == 304

    # Edit: a stale If-Match changes nothing; kept ids stay, new questions get new ids.
    stale = await api.client.patch(
        f"{base}/{template['id']}",
        json={"title": "Changed"},
        headers={**admin.headers, "If-Match": '"999"'},
    )
    problem(stale, 412, "stale_etag")
    edited = await api.client.patch(
        f"{base}/{template['id']}",
        json={
            "title": "Year-end 2026 (individuals)",
            "questions": [
                *template["questions"],
                {"type": "date", "prompt": "Date you moved"},
            ],
            "due_in_days": None,
        },
        headers={**staff.headers, "If-Match": etag},
    )
    assert edited.status_code == 200, edited.text
    assert [q["id"] for q in edited.json()["questions"]][:3] == ids
    assert edited.json()["due_in_days"] is None
    bad_edit = await api.client.patch(
        f"{base}/{template['id']}", json={"title": None}, headers=staff.headers
    )
    problem(bad_edit, 422)

    # List: filters and cursors.
    second = (
        await api.client.post(
            base,
            json={"title": "Payroll onboarding", "questions": QUESTIONS},
            headers=admin.headers,
        )
    ).json()
    archived = await api.client.post(f"{base}/{second['id']}/archive", headers=staff.headers)
    assert archived.status_code == 200 and archived.json()["archived"] is True
    page = (await api.client.get(f"{base}?limit=1", headers=staff.headers)).json()
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = (
        await api.client.get(f"{base}?limit=1&cursor={page['next_cursor']}", headers=staff.headers)
    ).json()
    assert {page["items"][0]["id"], rest["items"][0]["id"]} == {template["id"], second["id"]}
    in_use = (await api.client.get(f"{base}?archived=false", headers=staff.headers)).json()
    assert [t["id"] for t in in_use["items"]] == [template["id"]]
    found = (await api.client.get(f"{base}?q=PAYROLL", headers=staff.headers)).json()
    assert [t["id"] for t in found["items"]] == [second["id"]]
    back = await api.client.post(f"{base}/{second['id']}/unarchive", headers=staff.headers)
    assert back.json()["archived"] is False

    # Another firm sees none of it.
    other = await api.sign_up_firm("Elsewhere Audit")
    assert (await api.client.get(base, headers=other.headers)).json()["items"] == []
    for method, path in (
        ("GET", f"{base}/{template['id']}"),
        ("PATCH", f"{base}/{template['id']}"),
        ("POST", f"{base}/{template['id']}/archive"),
    ):
        answer = await api.client.request(
            method, path, json={"title": "x"} if method == "PATCH" else None, headers=other.headers
        )
        problem(answer, 404, "client_request_template_not_found")

    # The activity log has the template's story.
    log = (await api.client.get("/v1/activity?limit=50", headers=admin.headers)).json()
    types = [e["type"] for e in log["items"]]
    assert "client_request_template.created" in types
    assert "client_request_template.updated" in types
    assert "client_request_template.archived" in types
