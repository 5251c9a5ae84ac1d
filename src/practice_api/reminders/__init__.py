"""Reminders shared by every "remind the client until it is done" subject.

How a domain plugs in (file requests do; client requests and task documents will):

1. When a subject is created or edited, in the same transaction::

       await reminders.service.set_schedule(
           session, firm_id=..., entity_id=..., subject=("client_request", request.id),
           recipients=[("contact", contact_id), ...], due_date=request.due_date,
           override=body.reminders,            # a ReminderOverride, or None: firm default
           keep_override=...,                  # True on edits that do not touch it
           time_zone=firm.time_zone,
       )

2. When it stops or starts waiting (submitted, completed, cancelled / returned, reopened):
   ``await reminders.service.set_active(session, subject, waiting)``.

3. Once, from ``registry.register_all()``:
   ``reminders.sources.register_source("client_request", open_items)``
   where ``open_items(session, firm_id, recipients)`` answers each recipient's open items
   (``OpenItem``: subject title, item title, due date, status). A reminder e-mail lists the
   open items of every source, so a person gets one digest a day, whatever asks.

4. ``POST .../remind`` routes call ``reminders.service.remind_now(session, subject, actor,
   entity_id=...)`` (at most once an hour per subject: 429 with ``Retry-After``).

The job (``reminders.scheduled``) runs next to the outbox dispatcher; slots and each
recipient's day are claimed with inserts that do nothing on conflict (see ``models``).
"""
