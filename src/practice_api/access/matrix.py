"""The permission matrix: every action x every access level, in one table.

Columns (who calls):

* ``admin``: a firm admin.
* ``owner``: the entity's responsible (its owner user), a non-admin staff user.
* ``editor`` / ``viewer``: a staff user the entity is shared with, by role.
* ``none``: a staff user of the same firm with no access to the entity.
* ``other_firm``: an admin of another firm (tenancy: it must never reach our data).
* ``contact``: a portal contact with access to the entity, in a contact group the
  discussion is shared with.
* ``contact_other_entity``: a contact of the same firm with access to another entity only.
* ``contact_other_firm``: a contact of another firm.
* ``guest``: a third party holding a client request's secret link (no account): the link
  opens that one questionnaire (the ``guest`` rows) and nothing else. On every other route
  it is no bearer token: ``401`` (``public`` rows: ``ok``). On a ``guest`` row every other
  column presents its own token in place of the link: ``404``.

Tokens open one side only: every staff row answers ``403`` to the three contact columns
(``current_staff``), and every ``portal`` row answers ``403`` to the six staff columns
(``current_contact``). ``public`` and ``signed_in`` rows are open to every column.
Rows written with six cells get the contact cells from their scope; rows without a guest
cell get the guest's (``ok`` on ``public`` rows, ``401`` elsewhere).

Outcomes: ``ok`` (2xx), ``401`` (the credential is no token of this API: the guest's link
used as a bearer), ``403`` (visible but not allowed), ``404`` (not visible).

For ``entity`` actions the column is the caller's access level on that entity
(``entities.visibility.entity_access``); for ``firm`` actions the non-admin columns are all just
"staff" and must agree. For ``contact_record`` actions (a contact in the firm's address
book) the level is the strongest access the caller has on the entities the contact is
granted on (``contacts.repository.ContactRepository.level_of``); every staff user of the
firm sees the address book, so ``none`` is a visible-but-not-allowed 403 there, never a 404.

Policies are built from this table (the factories of ``access.policy``), so a route gets
its rule by naming its action; ``ROUTE_ACTIONS`` classifies every route of the API, and
``tests/test_permission_matrix.py`` calls every route as every column and compares.

Later issues add rows (contacts, files, requests, portal) and classify their routes here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

Level = Literal[
    "admin",
    "owner",
    "editor",
    "viewer",
    "none",
    "other_firm",
    "contact",
    "contact_other_entity",
    "contact_other_firm",
    "guest",
]
LEVELS: tuple[Level, ...] = get_args(Level)
STAFF_LEVELS: tuple[Level, ...] = LEVELS[:6]
CONTACT_LEVELS: tuple[Level, ...] = LEVELS[6:9]
GUEST: Level = "guest"
Outcome = Literal["ok", "401", "403", "404"]
Scope = Literal["public", "signed_in", "firm", "entity", "contact_record", "portal", "guest"]


@dataclass(frozen=True)
class Rule:
    scope: Scope
    outcomes: dict[Level, Outcome]
    forbidden_code: str = "forbidden"
    forbidden_detail: str = "You may not do this."

    def allows(self, level: Level) -> bool:
        return self.outcomes[level] == "ok"


def _rule(scope: Scope, grid: str, code: str = "forbidden", detail: str = "") -> Rule:
    cells = grid.split()
    if len(cells) == len(STAFF_LEVELS):
        cells += ["ok" if scope in ("public", "signed_in") else "403"] * len(CONTACT_LEVELS)
    if len(cells) == len(STAFF_LEVELS) + len(CONTACT_LEVELS):
        cells.append("ok" if scope == "public" else "401")  # a link is no bearer token
    if len(cells) != len(LEVELS) or any(c not in get_args(Outcome) for c in cells):
        raise ValueError(f"bad matrix row {grid!r}")
    outcomes: dict[Level, Outcome] = dict(zip(LEVELS, cells, strict=True))  # type: ignore[arg-type]
    return Rule(scope, outcomes, code, detail or "You may not do this.")


def _portal(grid: str, code: str = "forbidden", detail: str = "") -> Rule:
    """A portal row: the three contact cells; staff tokens are refused (403)."""
    return _rule("portal", " ".join(["403"] * len(STAFF_LEVELS)) + " " + grid, code, detail)


def _guest(code: str = "forbidden", detail: str = "") -> Rule:
    """A guest row: the secret link in the path opens it; any other column, presenting its
    own token in place of the link, finds nothing (404)."""
    grid = " ".join(["404"] * (len(STAFF_LEVELS) + len(CONTACT_LEVELS))) + " ok"
    return _rule("guest", grid, code, detail)


_ADMIN = "admin_required"

# fmt: off
RULES: dict[str, Rule] = {
    # action                   scope         admin owner editor viewer none other_firm
    "public":            _rule("public",    "ok    ok    ok     ok     ok   ok"),
    "self":              _rule("signed_in", "ok    ok    ok     ok     ok   ok"),
    # foundation: firm, offices, users
    "firm.view":         _rule("firm",      "ok    ok    ok     ok     ok   ok"),
    "firm.manage":       _rule("firm",      "ok    403   403    403    403  ok", _ADMIN,
                               "Only firm admins may change the firm's settings."),
    "offices.list":      _rule("firm",      "ok    ok    ok     ok     ok   ok"),
    "offices.view":      _rule("firm",      "ok    ok    ok     ok     ok   404"),
    "offices.create":    _rule("firm",      "ok    403   403    403    403  ok", _ADMIN,
                               "Only firm admins may manage offices."),
    "offices.manage":    _rule("firm",      "ok    403   403    403    403  404", _ADMIN,
                               "Only firm admins may manage offices."),
    "users.list":        _rule("firm",      "ok    ok    ok     ok     ok   ok"),
    "users.view":        _rule("firm",      "ok    ok    ok     ok     ok   404"),
    "users.create":      _rule("firm",      "ok    403   403    403    403  ok", _ADMIN,
                               "Only firm admins may manage users."),
    "users.manage":      _rule("firm",      "ok    403   403    403    403  404", _ADMIN,
                               "Only firm admins may manage users."),
    # entities
    "entities.list":     _rule("firm",      "ok    ok    ok     ok     ok   ok"),
    "entities.create":   _rule("firm",      "ok    ok    ok     ok     ok   ok"),
    "entity.view":       _rule("entity",    "ok    ok    ok     ok     404  404"),
    "entity.update":     _rule("entity",    "ok    ok    ok     403    404  404",
                               "entity_update_forbidden",
                               "Only the responsible, editors and admins may change this entity."),
    "entity.delete":     _rule("entity",    "ok    ok    403    403    404  404",
                               "entity_delete_forbidden",
                               "Only the responsible and admins may delete this entity."),
    "entity.change_owner": _rule("entity",  "ok    ok    403    403    404  404",
                               "owner_change_forbidden",
                               "Only the responsible and admins may change the owner."),
    # the owner list (address book)
    "owners.list":       _rule("firm",      "ok    ok    ok     ok     ok   ok"),
    "owners.view":       _rule("firm",      "ok    ok    ok     ok     ok   404"),
    "owners.create":     _rule("firm",      "ok    403   403    403    403  ok", _ADMIN,
                               "Only firm admins may manage the owner list."),
    "owners.manage":     _rule("firm",      "ok    403   403    403    403  404", _ADMIN,
                               "Only firm admins may manage the owner list."),
    "owners.transfer":   _rule("firm",      "ok    403   403    403    403  404", _ADMIN,
                               "Only firm admins may transfer entities between owners."),
    # shares
    "shares.view":       _rule("entity",    "ok    ok    ok     ok     404  404"),
    "shares.manage":     _rule("entity",    "ok    ok    403    403    404  404",
                               "share_forbidden",
                               "Only the responsible and admins may share this entity."),
    "shares.update_own": _rule("entity",    "ok    ok    ok     ok     404  404",
                               "share_forbidden",
                               "You may change only the notifications of your own share."),
    "shares.list_firm":  _rule("firm",      "ok    403   403    403    403  ok", _ADMIN,
                               "Only firm admins may list the firm's shares."),
    "shares.bulk":       _rule("firm",      "ok    403   403    403    403  404", _ADMIN,
                               "Only firm admins may share in bulk."),
    "entity.activity":   _rule("entity",    "ok    ok    ok     ok     404  404"),
    # files: viewers download; editors, the responsible and admins upload and delete
    "files.view":        _rule("entity",    "ok    ok    ok     ok     404  404"),
    "files.upload":      _rule("entity",    "ok    ok    ok     403    404  404",
                               "files_upload_forbidden",
                               "Viewers may not upload files or add versions."),
    "files.delete":      _rule("entity",    "ok    ok    ok     403    404  404",
                               "files_delete_forbidden",
                               "Viewers may not delete files."),
    # events backbone: the firm's log and webhooks are for admins; notifications are one's own
    "activity.list_firm": _rule("firm",     "ok    403   403    403    403  ok", _ADMIN,
                               "Only firm admins may read the firm's activity log."),
    "webhooks.create":   _rule("firm",      "ok    403   403    403    403  ok", _ADMIN,
                               "Only firm admins may manage webhook endpoints."),
    "webhooks.manage":   _rule("firm",      "ok    403   403    403    403  404", _ADMIN,
                               "Only firm admins may manage webhook endpoints."),
    # what a shared viewer may not do; the contacts and requests routes use these rows
    "contacts.manage":   _rule("entity",    "ok    ok    ok     403    404  404",
                               "contacts_manage_forbidden",
                               "Viewers may not add or change the entity's contacts."),
    "contacts.authorize": _rule("entity",   "ok    ok    ok     403    404  404",
                               "contacts_authorize_forbidden",
                               "Viewers may not authorize contacts (grant portal access)."),
    "requests.initiate": _rule("entity",    "ok    ok    ok     403    404  404",
                               "requests_initiate_forbidden",
                               "Viewers may not initiate requests to the client."),
    # the contacts address book; contact_record levels come from the contact's entities
    "contacts.list":     _rule("firm",      "ok    ok    ok     ok     ok   ok"),
    "contacts.create":   _rule("firm",      "ok    ok    ok     ok     ok   ok"),
    "contacts.view":     _rule("contact_record", "ok ok  ok     ok     ok   404"),
    "contacts.edit":     _rule("contact_record", "ok ok  ok     403    403  404",
                               "contacts_edit_forbidden",
                               "Only admins, and the responsible or editors of an entity the "
                               "contact has access to, may change, invite or disable a contact."),
    # discussions with the client
    "discussions.manage": _rule("entity",   "ok    ok    ok     403    404  404",
                               "discussions_forbidden",
                               "Viewers may read discussions but not start or write in them."),
    # tasks (issue 17): the firm's catalogue of task types (admins manage, staff read), and
    # tasks on entities (staff who see the entity read; editors, the responsible and admins
    # create, change, advance and deliver; viewers only read)
    "task_types.list":   _rule("firm",      "ok    ok    ok     ok     ok   ok"),
    "task_types.view":   _rule("firm",      "ok    ok    ok     ok     ok   404"),
    "task_types.create": _rule("firm",      "ok    403   403    403    403  ok", _ADMIN,
                               "Only firm admins may manage task types."),
    "task_types.manage": _rule("firm",      "ok    403   403    403    403  404", _ADMIN,
                               "Only firm admins may manage task types."),
    "tasks.generate":    _rule("firm",      "ok    403   403    403    403  ok", _ADMIN,
                               "Only firm admins may run the recurring task generation."),
    "tasks.list_firm":   _rule("firm",      "ok    ok    ok     ok     ok   ok"),
    "tasks.view":        _rule("entity",    "ok    ok    ok     ok     404  404"),
    "tasks.manage":      _rule("entity",    "ok    ok    ok     403    404  404",
                               "tasks_manage_forbidden",
                               "Viewers may read tasks but not create, change or advance them."),
    # client request templates (issue 19): the firm's questionnaire library; every staff
    # user reads, adds, edits and archives them (the answers CSV across clients lists only
    # the requests the caller sees)
    "client_request_templates.list": _rule("firm", "ok ok  ok     ok     ok   ok"),
    "client_request_templates.view": _rule("firm", "ok ok  ok     ok     ok   404"),
    "client_request_templates.create": _rule("firm", "ok ok ok    ok     ok   ok"),
    "client_request_templates.manage": _rule("firm", "ok ok ok    ok     ok   404"),
    # the portal: contact tokens only          contact contact_other_entity contact_other_firm
    "portal.self":       _portal(                                "ok      ok    ok"),
    "portal.entity":     _portal(                                "ok      404   404"),
    "portal.discussion": _portal(                                "ok      404   404"),
    # portal files: what is shared with the contact's entities (``files.repository.
    # visible_to_contacts``); only `contributor` contacts upload (a `viewer` gets 403
    # ``portal_upload_forbidden``, tested on its own: the column's contact is granted
    # contributor where the recipe uploads)
    "portal.file":       _portal(                                "ok      404   404"),
    # the client area (issue 18): documents delivered to the contact's entities; uploads
    # into input slots of existing tasks (contributors only; a `viewer` contact gets 403
    # ``portal_upload_forbidden``, tested on its own)
    "portal.document":   _portal(                                "ok      404   404"),
    "portal.task_inputs.upload": _portal(                        "ok      404   404",
                               "portal_upload_forbidden",
                               "Only contacts with the contributor role may upload documents."),
    "portal.files.upload": _portal(                              "ok      404   404",
                               "portal_upload_forbidden",
                               "Only contacts with the contributor role may upload files."),
    # file requests (``requests.initiate`` creates them); a shared viewer reads statuses and
    # downloads accepted items' files (``file_requests.view``; other items: 403
    # ``file_request_item_not_accepted``, tested on its own) and can do nothing else
    "file_requests.list": _rule("firm",     "ok    ok    ok     ok     ok   ok"),
    "file_requests.view": _rule("entity",   "ok    ok    ok     ok     404  404"),
    "file_requests.manage": _rule("entity", "ok    ok    ok     403    404  404",
                               "file_requests_manage_forbidden",
                               "Only the responsible, editors and admins may change, review, "
                               "cancel or remind a file request."),
    # portal file requests: the requests addressed to the contact (a `viewer` contact is
    # never a recipient; one that lost the contributor role gets 403
    # ``portal_upload_forbidden`` on upload, tested on its own)
    "portal.file_request": _portal(                              "ok      404   404"),
    "portal.file_request.upload": _portal(                       "ok      404   404",
                               "portal_upload_forbidden",
                               "Only contacts with the contributor role may upload files."),
    # client requests (issue 19; ``requests.initiate`` sends them): staff who see the entity
    # read them and their answers; a shared viewer can do nothing else
    "client_requests.list": _rule("firm",   "ok    ok    ok     ok     ok   ok"),
    "client_requests.view": _rule("entity", "ok    ok    ok     ok     404  404"),
    "client_requests.manage": _rule("entity", "ok  ok    ok     403    404  404",
                               "client_requests_manage_forbidden",
                               "Only the responsible, editors and admins may change, cancel, "
                               "complete or reopen a client request, or manage its links."),
    # answering client requests (issue 19): portal contacts answer the requests addressed to
    # them; guests (no account) the one request their secret link opens, nothing else
    "portal.client_request": _portal(                            "ok      404   404"),
    "guest.client_request": _guest(),
    # reminders: the firm's default schedule
    "reminders.settings_view": _rule("firm", "ok   ok    ok     ok     ok   ok"),
    "reminders.settings_manage": _rule("firm", "ok 403   403    403    403  ok", _ADMIN,
                               "Only firm admins may change the reminder schedule."),
}
# fmt: on

# Every route of the API, by operation id (or route name for the documentation pages), and
# the action whose row decides who may call it. A route missing here fails the matrix test.
ROUTE_ACTIONS: dict[str, str] = {
    # documentation and health
    "openapi": "public",
    "swagger_ui_html": "public",
    "swagger_ui_redirect": "public",
    "swagger_ui_spec": "public",
    "swagger_ui_assets": "public",
    "health_live": "public",
    "health_ready": "public",
    # auth and firm
    "auth_token": "public",
    "auth_logout": "self",
    "me_get": "self",
    "firms_sign_up": "public",
    "firm_get": "firm.view",
    "firm_update": "firm.manage",
    # offices
    "offices_list": "offices.list",
    "offices_create": "offices.create",
    "offices_get": "offices.view",
    "offices_update": "offices.manage",
    "offices_delete": "offices.manage",
    # users
    "users_list": "users.list",
    "users_create": "users.create",
    "users_get": "users.view",
    "users_update": "users.manage",
    "users_deactivate": "users.manage",
    "users_reactivate": "users.manage",
    "users_delete": "users.manage",
    # owners
    "owners_list": "owners.list",
    "owners_create": "owners.create",
    "owners_get": "owners.view",
    "owners_update": "owners.manage",
    "owners_delete": "owners.manage",
    "owners_transfer": "owners.transfer",
    "owners_handover": "owners.transfer",
    # entities
    "entities_list": "entities.list",
    "entities_create": "entities.create",
    "entities_get": "entity.view",
    "entities_update": "entity.update",
    "entities_delete": "entity.delete",
    "entities_set_owner": "entity.change_owner",
    # shares (the matrix test changes another user's share: own notifications are
    # "shares.update_own", tested on their own)
    "shares_list": "shares.view",
    "shares_get": "shares.view",
    "shares_create": "shares.manage",
    "shares_update": "shares.manage",
    "shares_delete": "shares.manage",
    "shares_list_firm": "shares.list_firm",
    "shares_bulk_create": "shares.bulk",
    "entities_activity": "entity.activity",
    # files
    "files_list": "files.view",
    "files_get": "files.view",
    "files_download": "files.view",
    "files_versions_list": "files.view",
    "files_versions_get": "files.view",
    "files_upload": "files.upload",
    "files_versions_create": "files.upload",
    "files_delete": "files.delete",
    "files_update": "files.upload",
    # events backbone
    "activity_list": "activity.list_firm",
    "notifications_list": "self",
    "notifications_unread_count": "self",
    "notifications_read_all": "self",
    "notifications_mark_read": "self",
    "notification_preferences_get": "self",
    "notification_preferences_replace": "self",
    "webhook_endpoints_list": "webhooks.create",
    "webhook_endpoints_create": "webhooks.create",
    "webhook_endpoints_get": "webhooks.manage",
    "webhook_endpoints_update": "webhooks.manage",
    "webhook_endpoints_delete": "webhooks.manage",
    "webhook_endpoints_rotate_secret": "webhooks.manage",
    "webhook_endpoints_ping": "webhooks.manage",
    "webhook_endpoints_deliveries": "webhooks.manage",
    # contacts
    "contacts_list": "contacts.list",
    "contacts_create": "contacts.create",
    "contacts_get": "contacts.view",
    "contacts_update": "contacts.edit",
    "contacts_delete": "contacts.edit",
    "contacts_invite": "contacts.edit",
    "contacts_disable": "contacts.edit",
    "contacts_enable": "contacts.edit",
    "entity_contacts_list": "entity.view",
    "entity_contacts_get": "entity.view",
    "entity_contacts_put": "contacts.authorize",
    "entity_contacts_delete": "contacts.authorize",
    "contact_groups_list": "entity.view",
    "contact_groups_create": "contacts.manage",
    "contact_groups_get": "entity.view",
    "contact_groups_update": "contacts.manage",
    "contact_groups_delete": "contacts.manage",
    "contact_group_members_put": "contacts.manage",
    "contact_group_members_delete": "contacts.manage",
    # discussions
    "discussions_list": "entity.view",
    "discussions_create": "discussions.manage",
    "discussions_get": "entity.view",
    "discussions_update": "discussions.manage",
    "discussions_delete": "discussions.manage",
    "discussion_comments_list": "entity.view",
    "discussion_comments_create": "discussions.manage",
    # the portal
    "portal_activate": "public",
    "portal_password_reset_request": "public",
    "portal_password_reset": "public",
    "portal_me": "portal.self",
    "portal_entities_list": "portal.self",
    "portal_entities_get": "portal.entity",
    "portal_discussions_list": "portal.entity",
    "portal_discussions_get": "portal.discussion",
    "portal_comments_list": "portal.discussion",
    "portal_comments_create": "portal.discussion",
    "portal_files_list": "portal.entity",
    "portal_files_upload": "portal.files.upload",
    "portal_files_get": "portal.file",
    "portal_files_download": "portal.file",
    # file requests
    "file_requests_create": "requests.initiate",
    "file_requests_list_entity": "file_requests.view",
    "file_requests_list": "file_requests.list",
    "file_requests_get": "file_requests.view",
    "file_requests_update": "file_requests.manage",
    "file_requests_cancel": "file_requests.manage",
    "file_requests_reopen": "file_requests.manage",
    "file_requests_remind": "file_requests.manage",
    "file_requests_accept": "file_requests.manage",
    "file_requests_return": "file_requests.manage",
    "file_request_items_create": "file_requests.manage",
    "file_request_items_update": "file_requests.manage",
    "file_request_items_delete": "file_requests.manage",
    "file_request_items_accept": "file_requests.manage",
    "file_request_items_return": "file_requests.manage",
    "file_request_items_download": "file_requests.view",
    "portal_file_requests_list": "portal.self",
    "portal_file_requests_get": "portal.file_request",
    "portal_file_request_items_upload": "portal.file_request.upload",
    "portal_file_request_items_attachment": "portal.file_request",
    # reminders
    "reminder_settings_get": "reminders.settings_view",
    "reminder_settings_replace": "reminders.settings_manage",
    # tasks
    "task_types_list": "task_types.list",
    "task_types_create": "task_types.create",
    "task_types_get": "task_types.view",
    "task_types_update": "task_types.manage",
    "task_types_archive": "task_types.manage",
    "task_types_unarchive": "task_types.manage",
    "task_generation_run": "tasks.generate",
    "task_subscriptions_list": "tasks.view",
    "task_subscriptions_put": "tasks.manage",
    "task_subscriptions_delete": "tasks.manage",
    "entity_tasks_list": "tasks.view",
    "tasks_create": "tasks.manage",
    "tasks_list": "tasks.list_firm",
    "tasks_get": "tasks.view",
    "tasks_update": "tasks.manage",
    "tasks_advance": "tasks.manage",
    "task_inputs_create": "tasks.manage",
    "task_input_files_upload": "tasks.manage",
    "task_outputs_create": "tasks.manage",
    "task_outputs_update": "tasks.manage",
    "task_outputs_deliver": "tasks.manage",
    # client request templates and answers out (issue 19)
    "client_request_templates_list": "client_request_templates.list",
    "client_request_templates_create": "client_request_templates.create",
    "client_request_templates_get": "client_request_templates.view",
    "client_request_templates_update": "client_request_templates.manage",
    "client_request_templates_archive": "client_request_templates.manage",
    "client_request_templates_unarchive": "client_request_templates.manage",
    "client_request_templates_answers": "client_request_templates.view",
    # client requests (staff)
    "client_requests_create": "requests.initiate",
    "client_requests_list_entity": "client_requests.view",
    "client_requests_list": "client_requests.list",
    "client_requests_get": "client_requests.view",
    "client_requests_update": "client_requests.manage",
    "client_requests_cancel": "client_requests.manage",
    "client_requests_complete": "client_requests.manage",
    "client_requests_reopen": "client_requests.manage",
    "client_request_links_revoke": "client_requests.manage",
    "client_request_links_issue": "client_requests.manage",
    "client_requests_save_as_template": "client_requests.view",
    "client_requests_answers": "client_requests.view",
    # the client area
    "portal_dashboard": "portal.self",
    "portal_documents_list": "portal.self",
    "portal_documents_get": "portal.document",
    "portal_documents_read": "portal.document",
    "portal_documents_download": "portal.document",
    "portal_task_inputs_list": "portal.self",
    "portal_task_inputs_upload": "portal.task_inputs.upload",
    "portal_task_types_list": "portal.self",
    "portal_task_requests_create": "portal.entity",
    # answering client requests: portal contacts and guests (a secret link)
    "portal_client_requests_list": "portal.self",
    "portal_client_requests_get": "portal.client_request",
    "portal_client_requests_answers_update": "portal.client_request",
    "portal_client_requests_submit": "portal.client_request",
    "portal_client_request_files_upload": "portal.client_request",
    "public_client_requests_get": "guest.client_request",
    "public_client_requests_answers_update": "guest.client_request",
    "public_client_requests_submit": "guest.client_request",
    "public_client_request_files_upload": "guest.client_request",
    "public_client_requests_code_send": "guest.client_request",
    "public_client_requests_code_verify": "guest.client_request",
}
