"""Event types of files."""

from __future__ import annotations

from pydantic import Field

from practice_api.entities.events import entity_owner_user
from practice_api.events.catalogue import IN_APP, EventType, Payload, text
from practice_api.events.registry import EventRegistry


class FilePayload(Payload):
    file_name: str = Field(description="The file's (cleaned) name.")
    version: int = Field(description="The version number this event is about.")
    size: int = Field(description="Bytes.")
    content_type: str = Field(description="Sniffed from the bytes.")
    sha256: str


class FileSharing(Payload):
    file_name: str
    shared_with_contacts: bool = Field(
        description="Whether staff share the file with the entity's portal contacts."
    )


class FileRemoved(Payload):
    file_name: str
    versions: int = Field(description="How many versions the file had.")


TYPES = [
    EventType(
        "file.uploaded",
        "A file was uploaded to an entity (its first version).",
        FilePayload,
        text("{actor} uploaded {file_name}"),
        entity_owner_user,
        IN_APP,
        audience_text="the entity's owner user; shared users subscribed to `file_uploaded` "
        "(e-mail)",
        link="file",
    ),
    EventType(
        "file.version_added",
        "A new version of a file was uploaded; the older ones stay downloadable.",
        FilePayload,
        text("{actor} uploaded version {version} of {file_name}"),
        entity_owner_user,
        IN_APP,
        audience_text="the entity's owner user; shared users subscribed to `file_uploaded` "
        "(e-mail)",
        link="file",
    ),
    EventType(
        "file.downloaded",
        "A file (or its first bytes, for a Range request) was downloaded.",
        FilePayload,
        text("{actor} downloaded {file_name} (version {version})"),
        link="file",
    ),
    EventType(
        "file.sharing_changed",
        "Staff shared a file with the entity's portal contacts, or stopped sharing it.",
        FileSharing,
        text("{actor} changed who sees {file_name} in the portal"),
        link="file",
    ),
    EventType(
        "file.deleted",
        "A file was deleted (soft: its versions are kept for the retention period).",
        FileRemoved,
        text("{actor} deleted {file_name}"),
    ),
    EventType(
        "file.purged",
        "A deleted file's versions and bytes were removed for good after the retention period.",
        FileRemoved,
        text("{file_name} was purged after the retention period"),
    ),
]


def register(events: EventRegistry) -> None:
    events.event_types(TYPES)
