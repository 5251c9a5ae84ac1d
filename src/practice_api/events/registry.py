"""How a domain plugs into the events mechanism: one object, handed to each domain's
``events.register(events)`` by ``register_all()`` (``practice_api.registry``).

Nothing registers itself on import: a type, audience, address lookup or channel exists
once ``register_all()`` ran (the app factory and the worker call it).
"""

from __future__ import annotations

from collections.abc import Iterable

from practice_api.events import addresses, bulk, catalogue, channels, outbox, repository, service


class EventRegistry:
    """The plug points of the events backbone."""

    def event_types(self, types: Iterable[catalogue.EventType]) -> None:
        """Add event types to the catalogue (names are unique)."""
        for event_type in types:
            catalogue.register(event_type)

    def audience(self, audience: catalogue.Audience) -> None:
        """Add people to every event that fans out (e.g. subscribed shared users)."""
        catalogue.add_audience(audience)

    def address_lookup(self, kind: str, lookup: addresses.AddressLookup) -> None:
        """How recipients of ``kind`` are reached (name, e-mail, still active)."""
        addresses.register_address_lookup(kind, lookup)

    def channel(self, channel: channels.DeliveryChannel) -> None:
        """A way out (``in_app``, ``webhook``; ``email`` is built in)."""
        channels.register_channel(channel)

    def preferences(self, lookup: outbox.PreferenceLookup) -> None:
        """The recipients' own channel choices per event type."""
        outbox.register_preferences(lookup)

    def target_fan_out(self, fan_out: outbox.TargetFanOut) -> None:
        """Deliveries to targets that are not people (webhook endpoints)."""
        outbox.register_target_fan_out(fan_out)

    def lookup(self, name: repository.LookupName, lookup: repository.Lookup) -> None:
        """What the dispatcher reads about firms and clients to word a message (a firm's
        name and time zone, a client's name)."""
        repository.register_lookup(name, lookup)

    def digest_schedules(self, lookup: repository.DigestSchedules) -> None:
        """When each firm's daily digests go out (its time zone and local hour)."""
        repository.register_digest_schedules(lookup)

    def bulk_summary(self, action: str, default: str, **by_side: str) -> None:
        """How a bulk action's one summary per recipient reads (``events.bulk``)."""
        bulk.register_summary(action, default, **by_side)

    def bulk_side(self, event_type: str, side_of: bulk.SideOf) -> None:
        """Which side of a bulk action each item of ``event_type`` is for a recipient."""
        bulk.register_side(event_type, side_of)

    def listener(self, listener: service.EventListener) -> None:
        """An extra step run for every event, inside the recording transaction."""
        service.on_event(listener)


EVENTS = EventRegistry()
