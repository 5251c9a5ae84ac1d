"""The contact's dashboard (issue 18), composed from what the domains' repositories answer:
no SQL here. A fixed number of statements whatever the data:

1. the firm's time zone ("today");
2. the documents due in the month or the next 7 days (``tasks.contact_repository``);
3. the newest ``OVERDUE_SHOWN`` overdue documents the contact has not read, with their
   count;
4. the requests in progress: the contact's open task requests, the open file requests and
   the client requests not yet submitted addressed to it, one ``UNION ALL``.

The answer is plain dicts serialized once by the router (no ORM objects, no re-validation of
a thousand documents).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.client_requests import in_progress as client_requests
from practice_api.core.principals import Principal
from practice_api.core.repository import union_rows
from practice_api.file_requests import repository as file_requests
from practice_api.portal.task_schemas import OVERDUE_SHOWN
from practice_api.tasks import contact_repository as documents

OVERDUE_URL = "/v1/portal/documents?status=overdue_unread"


def document_dict(row: Any, today: dt.date, read_at: dt.datetime | None) -> dict[str, Any]:
    """A ``PortalDocument`` from a ``SHOWN`` row, as a plain dict (ids as strings here: the
    driver's own UUID type would make the serializer call back for each)."""
    oid, eid, ename, tid, ttitle, name, description, due, uploaded = row[:9]
    oid = str(oid)
    return {
        "id": oid,
        "entity_id": str(eid),
        "entity_name": ename,
        "task_id": str(tid),
        "task_title": ttitle,
        "name": name,
        "description": description,
        "due_date": due,
        "status": documents.status_of(due, read_at, today),
        "uploaded": bool(uploaded),
        "read_at": read_at,
        "content_url": f"/v1/portal/documents/{oid}/content" if uploaded else None,
    }


async def requests_in_progress(session: AsyncSession, principal: Principal) -> list[dict[str, Any]]:
    """The contact's open task requests, the open file requests and the client requests not
    yet submitted addressed to it, oldest first: one statement."""
    rows = await union_rows(
        session,
        [
            documents.open_task_requests(principal),
            file_requests.open_for_contact(principal),
            client_requests.open_for_contact(principal),
        ],
        order_by=("created_at", "id"),
    )
    return [dict(zip(documents.REQUEST_COLUMNS, row, strict=True)) for row in rows]


async def dashboard(
    session: AsyncSession,
    principal: Principal,
    today: dt.date,
    month: tuple[str, dt.date, dt.date],
) -> dict[str, Any]:
    key, first, last = month
    week_end = today + dt.timedelta(days=7)
    due = await documents.documents_due_between(
        session, principal, [(first, last), (today, week_end)]
    )
    days: dict[dt.date, list[dict[str, Any]]] = {
        first + dt.timedelta(days=i): [] for i in range((last - first).days + 1)
    }
    next_7: list[dict[str, Any]] = []
    for row in due:
        document = document_dict(row, today, row[9])
        if document["due_date"] in days:
            days[document["due_date"]].append(document)
        if today <= document["due_date"] <= week_end:
            next_7.append(document)
    overdue, overdue_count = await documents.newest_overdue_unread(
        session, principal, today, OVERDUE_SHOWN
    )
    requests = await requests_in_progress(session, principal)
    return {
        "month": key,
        "today": today,
        "calendar": [{"date": day, "documents": docs} for day, docs in days.items()],
        "due_next_7_days": next_7,
        "overdue_unread": [document_dict(row, today, None) for row in overdue],
        "overdue_unread_url": OVERDUE_URL,
        "requests_in_progress": requests,
        "counts": {
            "calendar": sum(len(docs) for docs in days.values()),
            "due_next_7_days": len(next_7),
            "overdue_unread": overdue_count,
            "requests_in_progress": len(requests),
        },
    }
