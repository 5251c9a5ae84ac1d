"""What a notification says: e-mail (text and HTML from Jinja2 templates), in-app titles,
digest lines. Pure functions of an event and who reads it; the dispatcher loads the rest.

One template per event type, ``templates/email/<type>.j2``, extending the shared
``templates/email/layout.j2``; a type without one uses ``_default.j2`` (its catalogue
title). A template defines blocks:

* ``headline`` (required): one line, plain words, what happened ("Clara uploaded x.pdf").
  The client's name is put in front of it by the layout, so the subject and the first line
  always name the client: ``[Firm] Client: headline``.
* ``details`` (optional): more lines (plain text; line breaks are kept in the HTML part).
* ``action`` (optional): the label of the link.

Each template is rendered twice: for the text part with autoescaping off and for the HTML
part with autoescaping on (everything user-written is escaped; ``html`` tells which).
Variables: ``p`` (the payload), ``actor``, ``client``, ``firm``, ``reader`` (``kind``,
``id``, ``name``), ``event``, ``title`` (the catalogue's title), ``link``, ``items`` and
``count`` (bulk summaries), ``entries`` (digests), ``html``.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import jinja2

from practice_api.events import catalogue, links
from practice_api.settings import Settings

if TYPE_CHECKING:
    from practice_api.events.models import Event

TEMPLATE_DIRS: list[Path] = [Path(__file__).parent / "templates"]
DEFAULT_TEMPLATE = "email/_default.j2"
DIGEST_TEMPLATE = "email/_digest.j2"
SUBJECT_LIMIT = 200


def add_template_dir(path: Path) -> None:
    """Let a domain keep its own ``email/<type>.j2`` templates in its folder."""
    if path not in TEMPLATE_DIRS:
        TEMPLATE_DIRS.append(path)
        _environment.cache_clear()
        template_for.cache_clear()


@lru_cache(maxsize=2)
def _environment(html: bool) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(p) for p in TEMPLATE_DIRS]),
        autoescape=html,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        undefined=jinja2.ChainableUndefined,
        # Templates ship with the code: no stat of the file at every use (a dispatcher
        # renders thousands a second); ``add_template_dir`` starts a new environment.
        auto_reload=False,
    )
    return env


def template_names() -> list[str]:
    """Every e-mail template of an event type (not the layout, default or digest)."""
    names = _environment(False).list_templates(filter_func=lambda n: n.startswith("email/"))
    return sorted(
        n[len("email/") : -len(".j2")]
        for n in names
        if n.endswith(".j2") and not n.rpartition("/")[2].startswith(("_", "layout"))
    )


@lru_cache(maxsize=1024)
def template_for(event_type: str) -> str:
    name = f"email/{event_type}.j2"
    try:
        _environment(False).get_template(name)
    except jinja2.TemplateNotFound:
        return DEFAULT_TEMPLATE
    return name


# ``guest``: someone without an account (a client request's guest). A guest's messages link
# to nothing the events know (their secret link is never stored: the message names it, or
# the template says where to find it) and have no preferences page to unsubscribe at.
ReaderKind = Literal["staff", "contact", "guest"]


@dataclass(frozen=True)
class Reader:
    """Who a message is for; ``via="share"``: a share's own choices brought it."""

    kind: ReaderKind
    id: uuid.UUID | None
    name: str
    via: str | None = None


@dataclass(frozen=True)
class Rendered:
    subject: str
    first_line: str
    headline: str
    details: str
    text: str
    html: str
    link: str
    unsubscribe: str


@dataclass(frozen=True)
class SummaryItem:
    """One thing a bulk action changed, as a summary lists it."""

    name: str
    entity_id: uuid.UUID | None = None
    side: str | None = None
    detail: str | None = None


@dataclass(frozen=True)
class DigestEntry:
    first_line: str
    link: str
    occurred: str


@dataclass
class Extra:
    """What a summary or a digest adds to the template's variables."""

    items: Sequence[SummaryItem] = ()
    count: int = 0
    entries: Sequence[DigestEntry] = ()
    clients: Sequence[str] = ()
    values: dict[str, Any] = field(default_factory=dict)


def one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def local_time(moment: dt.datetime, tz_name: str | None) -> str:
    from practice_api.core.time import zone

    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    try:
        local = moment.astimezone(zone(tz_name or "UTC"))
    except Exception:
        local = moment.astimezone(dt.UTC)
    return local.strftime("%Y-%m-%d %H:%M %Z")


def link_for(event: Event, reader_kind: ReaderKind, settings: Settings) -> str:
    if reader_kind == "guest":
        return ""
    spec = catalogue.get(event.type)
    kind = spec.link if spec and spec.link else ("entity" if event.entity_id else "home")
    values = links.event_values(
        entity_id=event.entity_id,
        subject_id=event.subject_id,
        event_id=event.id,
        payload=event.payload or {},
    )
    return links.build_link(settings, kind, reader_kind, values)


def unsubscribe_link(event: Event | None, reader: Reader, settings: Settings) -> str:
    if reader.kind == "guest":
        return ""
    if reader.via == "share" and event is not None and event.entity_id is not None:
        return links.build_link(
            settings, "share_preferences", "staff", {"entity_id": event.entity_id}
        )
    return links.build_link(settings, "preferences", reader.kind, {})


def _footer(event: Event | None, reader: Reader, firm: str, client: str | None) -> str:
    if event is None:
        return (
            "You receive this daily digest because you chose it for some notifications. "
            "Choose what you receive and how often:"
        )
    if reader.via == "share":
        return (
            f"You receive this e-mail because you asked for it on your share of "
            f"{client or 'this client'}. Change the e-mails of this share:"
        )
    if reader.kind == "guest":
        return f"You receive this e-mail because {firm} asked you to answer a questionnaire."
    if reader.kind == "contact":
        return (
            f"You receive this e-mail as a client portal user of {firm}. "
            "Choose which e-mails you get:"
        )
    return (
        "You receive this e-mail because of your notification settings. "
        "Choose which e-mails you get:"
    )


def _variables(
    event: Event,
    reader: Reader,
    *,
    firm_name: str,
    client: str | None,
    settings: Settings,
    extra: Extra | None,
) -> dict[str, Any]:
    spec = catalogue.get(event.type)
    extra = extra or Extra()
    return {
        "event": event,
        "p": event.payload or {},
        "actor": event.actor_name,
        "client": client,
        "firm": firm_name,
        "reader": reader,
        "title": spec.title(event) if spec else event.type,
        "description": spec.description if spec else event.type,
        "link": link_for(event, reader.kind, settings),
        "items": list(extra.items) or list(_payload_list(event, "items")),
        "count": extra.count or _payload_int(event, "count"),
        "entries": list(extra.entries),
        "clients": list(extra.clients),
        **extra.values,
    }


def _payload_list(event: Event, key: str) -> list[Any]:
    value = (event.payload or {}).get(key)
    return value if isinstance(value, list) else []


def _payload_int(event: Event, key: str) -> int:
    value = (event.payload or {}).get(key)
    return value if isinstance(value, int) else 0


def headline(
    event: Event,
    reader: Reader,
    *,
    firm_name: str,
    client: str | None,
    settings: Settings,
    extra: Extra | None = None,
) -> str:
    """The template's ``headline`` block as one plain line."""
    variables = _variables(
        event, reader, firm_name=firm_name, client=client, settings=settings, extra=extra
    )
    return _headline(template_for(event.type), variables)


def _headline(template_name: str, variables: dict[str, Any]) -> str:
    template = _environment(False).get_template(template_name)
    block = template.blocks.get("headline")
    if block is None:
        return one_line(str(variables.get("title", "")))
    return one_line("".join(block(template.new_context(dict(variables)))))


def first_line(client: str | None, text: str) -> str:
    """The line every message starts with (and its subject): the client, then what happened."""
    return f"{client}: {text}" if client else text


def subject_line(firm_name: str, line: str) -> str:
    subject = one_line(f"[{firm_name}] {line}" if firm_name else line)
    if len(subject) > SUBJECT_LIMIT:
        subject = subject[: SUBJECT_LIMIT - 1].rstrip() + "…"
    return subject


def _details(template_name: str, variables: dict[str, Any]) -> str:
    template = _environment(False).get_template(template_name)
    block = template.blocks.get("details")
    if block is None:
        return ""
    return "".join(block(template.new_context(dict(variables, html=False)))).strip()


def _layout(
    template_name: str, variables: dict[str, Any], reader: Reader, first: str, subject: str
) -> tuple[str, str]:
    values = dict(variables, first_line=first, subject=subject)
    text = _environment(False).get_template(template_name).render(values, html=False)
    html = _environment(True).get_template(template_name).render(values, html=True)
    return text.strip() + "\n", html


def render(
    event: Event,
    reader: Reader,
    *,
    firm_name: str,
    client: str | None,
    settings: Settings,
    time_zone: str | None = None,
    extra: Extra | None = None,
    layout: bool = True,
) -> Rendered:
    """The e-mail (and in-app title) of ``event`` for ``reader``. ``layout=False``: the
    lines only (an in-app notification or a digest entry), no text or HTML body."""
    if reader.kind == "guest":
        client = None  # a guest is told the firm's name, never the client's
    variables = _variables(
        event, reader, firm_name=firm_name, client=client, settings=settings, extra=extra
    )
    name = template_for(event.type)
    line = _headline(name, variables)
    first = first_line(client, line)
    subject = subject_line(firm_name, first)
    unsubscribe = unsubscribe_link(event, reader, settings)
    variables.update(
        when=local_time(event.occurred_at, time_zone),
        footer=_footer(event, reader, firm_name, client),
        unsubscribe=unsubscribe,
    )
    text, html = _layout(name, variables, reader, first, subject) if layout else ("", "")
    details = _details(name, variables)
    return Rendered(subject, first, line, details, text, html, variables["link"], unsubscribe)


def render_digest(
    reader: Reader,
    *,
    firm_name: str,
    entries: Sequence[DigestEntry],
    clients: Sequence[str],
    settings: Settings,
    day: dt.date,
) -> Rendered:
    """One e-mail for a day's held notifications of one recipient."""
    count = len(entries)
    names = list(dict.fromkeys(c for c in clients if c))
    about = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    line = f"Your daily digest: {count} update{'s' if count != 1 else ''}" + (
        f" on {about}" if about else ""
    )
    subject = subject_line(firm_name, line)
    link = links.build_link(settings, "digest", reader.kind, {}) if reader.kind != "guest" else ""
    unsubscribe = unsubscribe_link(None, reader, settings)
    variables: dict[str, Any] = {
        "p": {},
        "actor": "",
        "client": None,
        "firm": firm_name,
        "reader": reader,
        "title": line,
        "link": link,
        "entries": list(entries),
        "clients": names,
        "count": count,
        "items": [],
        "day": day.isoformat(),
        "when": day.isoformat(),
        "footer": _footer(None, reader, firm_name, None),
        "unsubscribe": unsubscribe,
    }
    text, html = _layout(DIGEST_TEMPLATE, variables, reader, line, subject)
    details = _details(DIGEST_TEMPLATE, variables)
    return Rendered(subject, line, line, details, text, html, link, unsubscribe)


def in_app_title(rendered_first_line: str) -> str:
    return rendered_first_line[:500]


def as_mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
