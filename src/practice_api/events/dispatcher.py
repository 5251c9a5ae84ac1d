"""The dispatcher: claims due outbox rows, delivers them, records the outcome.

One runs inside the API process (unless ``PRACTICE_RUN_DISPATCHER=false``) and any number
run as ``practice-api worker`` processes; on PostgreSQL they sleep until a commit's
``NOTIFY`` wakes them. Each round claims a batch in one statement (and reads what sending
needs) in a short transaction, sends outside any transaction, then records the outcomes as
they arrive, each group in one transaction guarded by the claim token. Webhooks are
at-least-once: a worker dying after sending but before recording sends again after the
lease; the delivery id stays the same so receivers drop the duplicate. A channel may write
in the recording transaction itself (the in-app channel writes the batch's notifications,
unique per delivery id, so each appears exactly once). E-mail is at most once: the row is
committed ``sending`` right before the message goes, and a claim that finds it so records
it delivered instead of sending again (see ``DeliveryRepository.claim_due``). Channels are
registered by the domains that own them (``events.channels.CHANNELS``).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import importlib.util
import logging
import os
import random
import socket
import sys
import uuid
from collections import defaultdict
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from practice_api.core.time import utcnow
from practice_api.events import context, repository
from practice_api.events.addresses import Address, lookup_addresses
from practice_api.events.channels import CHANNELS, Job, Outcome
from practice_api.events.mail import HandOver, Mailer, mailer_from_settings
from practice_api.events.outbox import NOTIFY_CHANNEL
from practice_api.events.repository import DeliveryRepository, EventRepository
from practice_api.settings import Settings

log = logging.getLogger("practice_api.dispatcher")


class ClaimLost(Exception):
    """Another worker holds the delivery now (our lease expired): do not send."""


def _remember_missing_sniffio() -> None:
    """httpcore imports ``sniffio`` on every request to learn the async library; when it is
    not installed (anyio no longer needs it), each failed import searches ``sys.path`` again,
    a fifth of a webhook's CPU. Recording the absence once makes the import fail at once
    (httpcore then assumes asyncio, which is what runs here)."""
    if "sniffio" not in sys.modules and importlib.util.find_spec("sniffio") is None:
        sys.modules["sniffio"] = None  # type: ignore[assignment]


def backoff_seconds(attempts: int, base: float, cap: float) -> float:
    """Delay before the next attempt after ``attempts`` failed ones: exponential, capped,
    with up to 20 % jitter downwards so retries of many rows spread out."""
    exponent = min(max(attempts - 1, 0), 30)
    delay: float = min(cap, base * (2**exponent))
    return delay * random.uniform(0.8, 1.0)


class Dispatcher:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: Settings,
        *,
        mailer: Mailer | None = None,
        http: httpx.AsyncClient | None = None,
        name: str | None = None,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.settings = settings
        self.mailer = mailer or mailer_from_settings(settings)
        self._http = http
        self._own_http = http is None
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self.delivered = 0

    # -- life cycle -----------------------------------------------------------------

    @property
    def http(self) -> httpx.AsyncClient:
        if self._http is None:
            _remember_missing_sniffio()
            self._http = httpx.AsyncClient(trust_env=False)
        return self._http

    async def wake(self) -> None:
        """Ask the loop to look for work now (used after a commit that queued deliveries)."""
        self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._stopping.clear()
            self._task = asyncio.create_task(self.run(), name=f"dispatcher {self.name}")

    def request_stop(self) -> None:
        """Finish the round in progress, then leave ``run`` (signal handlers call this)."""
        self._stopping.set()
        self._wake.set()

    async def stop(self) -> None:
        self.request_stop()
        if self._task is not None:
            task, self._task = self._task, None
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.aclose()

    async def aclose(self) -> None:
        if self._own_http and self._http is not None:
            await self._http.aclose()
            self._http = None

    async def _listen(self) -> Any:
        """On PostgreSQL, a connection that LISTENs for queued deliveries and wakes the loop
        (any process's commit wakes every worker at once); ``None`` elsewhere."""
        engine = self.sessionmaker.kw.get("bind")
        if engine is None or engine.dialect.name != "postgresql":
            return None
        try:
            connection = await engine.connect()
            raw = (await connection.get_raw_connection()).driver_connection
            await raw.add_listener(NOTIFY_CHANNEL, lambda *_: self._wake.set())
        except Exception:
            log.warning("dispatcher %s: LISTEN failed; polling only", self.name, exc_info=True)
            return None
        return connection

    async def run(self, *, exit_when_idle: bool = False) -> None:
        """Deliver until stopped: at once when woken (in-process after a commit, or by
        NOTIFY on PostgreSQL), else every ``outbox_poll_seconds`` (retries fall due)."""
        listening = None if exit_when_idle else await self._listen()
        try:
            await self._loop(exit_when_idle)
        finally:
            if listening is not None:
                with contextlib.suppress(Exception):
                    await listening.invalidate()  # never back to the pool while listening
                    await listening.close()

    async def _loop(self, exit_when_idle: bool) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                handled = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception(
                    "dispatcher %s: round failed; retrying after the poll interval", self.name
                )
                handled = 0
            if handled:
                continue
            if exit_when_idle:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.settings.outbox_poll_seconds)

    async def drain(self, *, max_rounds: int = 10_000) -> int:
        """Deliver everything due now (tests, ``worker --once``); returns rows handled."""
        total = 0
        for _ in range(max_rounds):
            handled = await self.run_once()
            if not handled:
                break
            total += handled
        return total

    # -- one round ------------------------------------------------------------------

    async def run_once(self) -> int:
        jobs = await self._claim()
        if not jobs:
            return 0
        limit = asyncio.Semaphore(self.settings.outbox_concurrency)

        done: list[tuple[Job, Outcome]] = []
        ready = asyncio.Event()

        async def one(job: Job) -> None:
            async with limit:
                outcome = await self._attempt(job)
            done.append((job, outcome))
            ready.set()

        # Outcomes are recorded as they come, each group of those that arrived meanwhile in
        # one transaction: batches under load, and a slow webhook holds nobody else's record
        # (an e-mail already sent is recorded at once, never sent twice after a crash).
        sending = asyncio.gather(*(one(job) for job in jobs))
        recorded = 0
        try:
            while recorded < len(jobs):
                await ready.wait()
                ready.clear()
                batch, done[:] = list(done), []
                if batch:
                    await self._record_batch(batch)
                    recorded += len(batch)
        finally:
            await sending
        return len(jobs)

    async def _claim(self) -> list[Job]:
        """Claim a batch (one statement) and load what sending it needs, in one transaction
        that commits before anything is sent."""
        settings = self.settings
        async with self.sessionmaker() as session, session.begin():
            claimed = await DeliveryRepository(session).claim_due(
                limit=settings.outbox_batch_size,
                lease_seconds=settings.outbox_lease_seconds,
                worker=self.name,
                max_attempts=settings.outbox_max_attempts,
            )
            if not claimed:
                return []
            firm_ids = list({d.firm_id for d in claimed})
            events = await EventRepository(session).by_ids(d.event_id for d in claimed)
            firms = await repository.firm_names(session, firm_ids)
            zones = await repository.firm_time_zones(session, firm_ids)
            personal = [d for d in claimed if d.channel != "webhook"]
            clients = await repository.entity_names(
                session,
                [e.entity_id for e in events.values() if e.entity_id is not None],
            )
            extras = await context.extras(session, personal, events, settings)
            targets: dict[uuid.UUID, Any] = {}
            for channel in CHANNELS.values():
                target_ids = [
                    d.endpoint_id
                    for d in claimed
                    if d.channel == channel.name and d.endpoint_id is not None
                ]
                if channel.load_targets is not None and target_ids:
                    targets.update(await channel.load_targets(session, target_ids))
            wanted: dict[str, set[uuid.UUID]] = defaultdict(set)
            for d in claimed:
                if d.recipient_kind and d.recipient_id:
                    wanted[d.recipient_kind].add(d.recipient_id)
            addresses: dict[tuple[str, uuid.UUID], Address] = {}
            for kind, ids in wanted.items():
                for found_id, address in (await lookup_addresses(session, kind, list(ids))).items():
                    addresses[(kind, found_id)] = address
        jobs: list[Job] = []
        for d in claimed:
            jobs.append(
                Job(
                    delivery_id=d.id,
                    claim_token=d.claim_token,
                    channel=d.channel,
                    attempts=d.attempts,
                    event=events[d.event_id],
                    firm_name=firms.get(d.firm_id, ""),
                    recipient_kind=d.recipient_kind,
                    recipient_id=d.recipient_id,
                    address=(
                        addresses.get((d.recipient_kind, d.recipient_id))
                        if d.recipient_kind and d.recipient_id
                        else None
                    ),
                    client_name=context.client_name(events[d.event_id], clients),
                    time_zone=zones.get(d.firm_id, "UTC"),
                    via=d.via,
                    target_id=d.endpoint_id,
                    target=targets.get(d.endpoint_id) if d.endpoint_id else None,
                )
            )
            extras.apply(jobs[-1], d)
        return jobs

    def hand_over(self, job: Job) -> HandOver:
        async def mark() -> None:
            async with self.sessionmaker() as session, session.begin():
                held = await DeliveryRepository(session).mark_sending(
                    job.delivery_id, job.claim_token, self.settings.outbox_lease_seconds
                )
            if not held:
                raise ClaimLost(f"delivery {job.delivery_id}: claim lost before sending")

        return mark

    async def _attempt(self, job: Job) -> Outcome:
        try:
            return await self._send(job)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # an SMTP refusal, a bug in rendering, ...
            log.warning("delivery %s (%s) failed: %r", job.delivery_id, job.channel, exc)
            return Outcome("retry", f"{type(exc).__name__}: {exc}"[:1000])

    async def _send(self, job: Job) -> Outcome:
        channel = CHANNELS.get(job.channel)
        if channel is None:
            return Outcome("dead", f"unknown channel {job.channel!r}")
        return await channel.send(job, self)

    def _outcome_values(self, job: Job, outcome: Outcome, now: dt.datetime) -> dict[str, Any]:
        values: dict[str, Any] = {
            "last_error": outcome.error,
            "response_status": outcome.response_status,
        }
        if outcome.kind == "delivered":
            values.update(status="delivered", delivered_at=now, next_attempt_at=None)
        elif outcome.kind == "retry" and job.attempts < self.settings.outbox_max_attempts:
            delay = backoff_seconds(
                job.attempts,
                self.settings.outbox_backoff_base_seconds,
                self.settings.outbox_backoff_cap_seconds,
            )
            values.update(status="pending", next_attempt_at=now + dt.timedelta(seconds=delay))
        elif outcome.kind == "cancelled":
            values.update(status="cancelled", next_attempt_at=None)
        else:
            values.update(status="dead", next_attempt_at=None)
        return values

    async def _record_batch(self, outcomes: list[tuple[Job, Outcome]]) -> None:
        """Record outcomes in one transaction: one UPDATE per kind of outcome (guarded by
        the claim token), and each channel's ``delivered`` write (in-app notifications, one
        INSERT) for the rows still ours, in the same transaction: exactly once."""
        now = utcnow()
        groups: dict[tuple[uuid.UUID, tuple[Any, ...]], list[Job]] = defaultdict(list)
        values_of: dict[tuple[uuid.UUID, tuple[Any, ...]], dict[str, Any]] = {}
        for job, outcome in outcomes:
            values = self._outcome_values(job, outcome, now)
            key = (job.claim_token, tuple(sorted(values.items(), key=lambda item: item[0])))
            groups[key].append(job)
            values_of[key] = values
        finished: set[uuid.UUID] = set()
        async with self.sessionmaker() as session, session.begin():
            deliveries = DeliveryRepository(session)
            for key, jobs in groups.items():
                finished |= await deliveries.finish_many(
                    key[0], [job.delivery_id for job in jobs], **values_of[key]
                )
            delivered = [
                job
                for job, outcome in outcomes
                if outcome.kind == "delivered" and job.delivery_id in finished
            ]
            # In the order things happened, a microsecond apart: newest-first lists keep it.
            delivered.sort(key=lambda job: (job.event.occurred_at, job.delivery_id))
            by_channel: dict[str, list[tuple[Job, dt.datetime]]] = defaultdict(list)
            for n, job in enumerate(delivered):
                by_channel[job.channel].append((job, now + dt.timedelta(microseconds=n)))
            for name, batch in by_channel.items():
                channel = CHANNELS.get(name)
                if channel is not None and channel.delivered is not None:
                    await channel.delivered(session, batch, self.settings)
        lost = len(outcomes) - len(finished)
        if lost:
            log.warning("%d deliveries: claim lost (lease expired); outcomes dropped", lost)
        self.delivered += len(delivered)
