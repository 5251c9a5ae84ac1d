"""``register_all()``: the one place where the domains plug into the mechanisms.

Nothing registers itself on import. The app factory (``app.create_app``) and the command
line (``cli.main``: the worker, ``demo``, ``create-admin``) call ``register_all()`` before
anything runs; calling it again does nothing.

What each domain registers, in this order (the order of the event catalogue, so of the
webhooks in the OpenAPI spec and of docs/events.md):

* event types, audiences, address lookups and delivery channels: ``<domain>/events.py``,
  ``register(events)`` with the events backbone's ``EventRegistry``;
* principal loaders (who a token names): ``users/principals.py``, ``contacts/principals.py``;
* grants of entity access by other tables: ``shares/access.py`` into ``entities.visibility``;
  a contact's entity access (``contacts.repository.granted_entity_ids``) likewise, and the
  files of the discussions a contact reads into ``files.repository.FILE_GRANTS``;
* steps before a user is deleted: the owners domain's ``release_user``;
* what keeps an entity from being deleted (``entities.dependents``): files, discussions,
  file requests and tasks count their rows of an entity;
* reminder sources (open items per recipient): ``file_requests.service``,
  ``client_requests.notifications``.

``tests/test_import_layers.py`` fails on a module that calls a ``register...`` function at
import time.

A new domain adds its lines here (see docs/adding-a-resource.md).
"""

from __future__ import annotations

from practice_api.access.principals import PRINCIPALS
from practice_api.client_requests import events as client_requests_events
from practice_api.client_requests import template_events as client_request_templates_events
from practice_api.client_requests.notifications import (
    register_reminder_source as client_requests_reminders,
)
from practice_api.client_requests.repository import count_client_requests
from practice_api.contacts import events as contacts_events
from practice_api.contacts import principals as contacts_principals
from practice_api.contacts.repository import granted_entity_ids
from practice_api.discussions import events as discussions_events
from practice_api.discussions.repository import attached_for_contact, count_discussions
from practice_api.entities import events as entities_events
from practice_api.entities.dependents import register_dependent
from practice_api.entities.visibility import GRANTS
from practice_api.events import bulk
from practice_api.events.registry import EVENTS
from practice_api.file_requests import events as file_requests_events
from practice_api.file_requests.repository import count_file_requests
from practice_api.file_requests.service import register_reminder_source as file_requests_reminders
from practice_api.files import events as files_events
from practice_api.files.repository import FILE_GRANTS, count_files_of_entity
from practice_api.firms import events as firms_events
from practice_api.notifications import events as notifications_events
from practice_api.offices import events as offices_events
from practice_api.owners import events as owners_events
from practice_api.owners.service import release_user
from practice_api.reminders import events as reminders_events
from practice_api.shares import access as shares_access
from practice_api.shares import events as shares_events
from practice_api.tasks import events as tasks_events
from practice_api.tasks.repository import count_tasks
from practice_api.users import events as users_events
from practice_api.users import principals as users_principals
from practice_api.users.service import USER_REMOVAL
from practice_api.webhooks import events as webhooks_events

_done = False


def register_all() -> None:
    global _done
    if _done:
        return
    # Event types (catalogue order), audiences, addresses and channels.
    for domain in (
        firms_events,
        offices_events,
        users_events,
        entities_events,
        owners_events,
        shares_events,
        files_events,
        webhooks_events,
        bulk,
        contacts_events,
        discussions_events,
        file_requests_events,
        reminders_events,
        tasks_events,
        client_requests_events,
        client_request_templates_events,
        notifications_events,
    ):
        domain.register(EVENTS)
    # Who a bearer token names.
    users_principals.register(PRINCIPALS)
    contacts_principals.register(PRINCIPALS)
    # Entity access granted by other tables.
    shares_access.register(GRANTS)
    # What a portal contact may read: the entities it was granted, the files attached to
    # the discussions it reads.
    GRANTS.add_contact_grant(granted_entity_ids)
    FILE_GRANTS.add_contact_grant(attached_for_contact)
    # Before a user is deleted.
    USER_REMOVAL.add(release_user)
    # What keeps an entity from being deleted (client history: it is archived instead).
    register_dependent("files", count_files_of_entity)  # deleted ones in retention included
    register_dependent("discussions", count_discussions)
    register_dependent("file_requests", count_file_requests)
    register_dependent("client_requests", count_client_requests)
    register_dependent("tasks", count_tasks)
    # What the reminders list, per subject kind.
    file_requests_reminders()
    client_requests_reminders()
    _done = True
