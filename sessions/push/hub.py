"""The per-process hub: one wake-up source per server process, not one per open screen.

Every open stream (an SSE response) subscribes to its scan session and then waits on an asyncio
event; nothing runs for it while nothing changes. The hub learns about changes in one of three
ways and wakes the streams of that session:

* PostgresHub – ONE psycopg 3 AsyncConnection per process LISTENs on one channel; every change
  runs pg_notify("<pk>:<revision>") inside its own transaction, which PostgreSQL delivers at
  COMMIT to every process of every app server (and drops on ROLLBACK). After (re)connecting it
  reads the revisions of all subscribed sessions once, so a change made while it was not
  listening is not missed.
* SQLitePollHub – one machine: ONE query per process every LIVE_POLL_INTERVAL seconds for the
  revisions of the sessions that have open streams in this process (none open: no query).
* local publish – the process that committed a change wakes its own streams at once
  (`publish_threadsafe`, from transaction.on_commit in the saving request's thread). With one
  process (development) that is all there is (LocalHub).

    hub = get_hub()
    async with hub.subscribe(pk) as subscription:         # inside the stream
        revision = await subscription.wait(after=sent, timeout=20)   # None: time for a ping
    notify_after_commit(pk, revision)                     # inside the saving transaction

The hub starts lazily on the first subscribe, in the event loop of the worker process (Django
has no ASGI lifespan hook). Evaluation of the libraries that do this and of the servers, with
measurements: docs/push.md."""

import asyncio
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import connections, router

from ..models import ScanSession

logger = logging.getLogger(__name__)


class Topic:
    """The latest known revision of one session in this process, and the streams waiting on it."""

    __slots__ = ("revision", "event", "subscribers")

    def __init__(self):
        self.revision = -1  # unknown until the first publish or resync
        self.event = asyncio.Event()
        self.subscribers = 0

    def publish(self, revision: int) -> bool:
        if revision <= self.revision:
            return False
        self.revision = revision
        # Wake everyone waiting on the old event; later waiters get a fresh one.
        event, self.event = self.event, asyncio.Event()
        event.set()
        return True


class Subscription:
    __slots__ = ("hub", "key", "topic")

    def __init__(self, hub, key: int, topic: Topic):
        self.hub, self.key, self.topic = hub, key, topic

    async def wait(self, after: int, timeout: float) -> int | None:
        """The session's revision once it is newer than `after`; None after `timeout` seconds
        without a change (time for a heartbeat). Never touches the database."""
        topic = self.topic
        try:
            async with asyncio.timeout(timeout):
                # A wake-up for a revision already sent (the resync after the listener
                # connected) waits on.
                while topic.revision <= after:
                    await topic.event.wait()
        except TimeoutError:
            return None
        return topic.revision

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        self.hub.release(self.key)


class Hub:
    def __init__(self):
        self.topics: dict[int, Topic] = {}
        self.loop = None
        self.task = None

    def subscribe(self, key: int) -> Subscription:
        self._ensure_started()
        topic = self.topics.get(key)
        if topic is None:
            topic = self.topics[key] = Topic()
        topic.subscribers += 1
        return Subscription(self, key, topic)

    def release(self, key: int):
        topic = self.topics.get(key)
        if topic is not None:
            topic.subscribers -= 1
            if topic.subscribers <= 0:
                del self.topics[key]

    def publish(self, key: int, revision: int):
        """In the hub's event loop only."""
        topic = self.topics.get(key)
        if topic is not None:
            topic.publish(revision)

    def publish_threadsafe(self, key: int, revision: int):
        """From any thread (a sync view's on_commit): wake this process's streams."""
        loop = self.loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self.publish, key, revision)

    def stream_count(self) -> int:
        return sum(topic.subscribers for topic in self.topics.values())

    def _ensure_started(self):
        loop = asyncio.get_running_loop()
        if self.loop is not loop or self.task is None or self.task.done():
            if self.loop is not None and self.loop is not loop:
                self.topics.clear()  # a new event loop (a test, a reload): old waiters are gone
            self.loop = loop
            self.task = loop.create_task(self.run(), name=f"actiescan {type(self).__name__}")

    async def run(self):
        """The process's wake-up source; the local publish needs none."""


class LocalHub(Hub):
    """One process: the local publish from on_commit is all there is."""


def revisions_query(connection, count: int) -> str:
    quote = connection.ops.quote_name
    return (
        f"SELECT {quote('id')}, {quote('revision')} FROM {quote(ScanSession._meta.db_table)} "
        f"WHERE {quote('id')} IN ({', '.join(['%s'] * count)})"
    )


class SQLitePollHub(Hub):
    """One machine, several processes: one revisions query per process per interval."""

    def __init__(self, interval: float):
        super().__init__()
        self.interval = interval
        # One thread with its own database connection asks, so no request thread is held.
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="actiescan-push")

    def _fetch(self, keys: list[int]) -> list[tuple[int, int]]:
        db = connections[router.db_for_read(ScanSession)]
        try:
            with db.cursor() as cursor:
                cursor.execute(revisions_query(db, len(keys)), keys)
                return cursor.fetchall()
        except Exception:
            db.close()  # the next tick opens a fresh one
            raise

    async def run(self):
        loop = asyncio.get_running_loop()
        while True:
            started = time.monotonic()
            keys = list(self.topics)
            try:
                for start in range(0, len(keys), 500):  # SQLite limits bound parameters
                    chunk = keys[start:start + 500]
                    for key, revision in await loop.run_in_executor(self.executor, self._fetch, chunk):
                        self.publish(key, revision)
            except Exception:
                logger.exception("revision poll failed; trying again")
            # Keep the period, not the gap: a slow query does not add up.
            await asyncio.sleep(max(0.0, self.interval - (time.monotonic() - started)))


class PostgresHub(Hub):
    """ONE LISTENing connection per process; reconnects with backoff and resyncs after it."""

    def __init__(self, channel: str, health_interval: float):
        super().__init__()
        self.channel = channel
        self.health_interval = health_interval
        self.listener_pid = None

    def _conninfo(self) -> str:
        from psycopg.conninfo import make_conninfo

        params = connections[router.db_for_read(ScanSession)].get_connection_params()
        for name in ("cursor_factory", "context", "prepare_threshold", "pool"):
            params.pop(name, None)
        # TCP keepalives notice a vanished server even when no notification is due.
        return make_conninfo(
            "", **{k: v for k, v in params.items() if v is not None},
            keepalives=1, keepalives_idle=30, keepalives_interval=10, keepalives_count=3,
            application_name="actiescan-push-listener",
        )

    async def _resync(self, conn):
        """Notifications sent while nobody listened are gone: read the current revision of
        every session with an open stream here."""
        keys = list(self.topics)
        if keys:
            cursor = await conn.execute(
                f'SELECT "id", "revision" FROM "{ScanSession._meta.db_table}" WHERE "id" = ANY(%s)',
                [keys],
            )
            for key, revision in await cursor.fetchall():
                self.publish(key, revision)

    async def run(self):
        import psycopg

        backoff = 0.5
        while True:
            try:
                conn = await psycopg.AsyncConnection.connect(self._conninfo(), autocommit=True)
                async with conn:
                    await conn.execute(f'LISTEN "{self.channel}"')
                    self.listener_pid = conn.info.backend_pid
                    await self._resync(conn)  # LISTEN first, then read: nothing falls between
                    backoff = 0.5
                    while True:
                        async for notify in conn.notifies(timeout=self.health_interval):
                            key, _, revision = notify.payload.partition(":")
                            try:
                                self.publish(int(key), int(revision))
                            except ValueError:
                                logger.warning("ignored notification %r", notify.payload)
                        await conn.execute("SELECT 1")  # quiet for a while: still connected?
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the server restarted, the network went, …
                logger.warning("push listener lost (%s); reconnecting in %.1f s", error, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)


_hub = None
_hub_lock = threading.Lock()


def get_hub() -> Hub:
    global _hub
    if _hub is None:
        with _hub_lock:
            if _hub is None:
                kind = settings.ACTIESCAN_PUSH_HUB
                if kind == "auto":
                    vendor = connections[router.db_for_read(ScanSession)].vendor
                    kind = "postgres" if vendor == "postgresql" else "sqlite"
                if kind == "postgres":
                    _hub = PostgresHub(settings.ACTIESCAN_PUSH_CHANNEL, health_interval=30.0)
                elif kind == "sqlite":
                    _hub = SQLitePollHub(settings.ACTIESCAN_PUSH_POLL_SECONDS)
                else:
                    _hub = LocalHub()
    return _hub


def notify_after_commit(key: int, revision: int, *, using=None):
    """Call inside the transaction that moved the session's revision on. PostgreSQL: pg_notify()
    runs in that transaction, so PostgreSQL delivers it exactly when the change commits (and not
    at all on rollback), to every process. Every database: after the commit, this process's own
    streams are woken at once."""
    db = connections[using or router.db_for_write(ScanSession)]
    if db.vendor == "postgresql":
        with db.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, %s)", [settings.ACTIESCAN_PUSH_CHANNEL, f"{key}:{revision}"])
    db.on_commit(lambda: get_hub().publish_threadsafe(key, revision))
