"""The embedded broker: a folder of message files that several processes share safely.

kombu's own file-system transport writes each message file in place, so a reader can open
it half-written, and its workers poll once a second. Here:

- a message is written under ``tmp/`` and renamed into ``queue/`` (a rename within one file
  system is atomic), so a reader sees a whole message or none;
- a consumer takes a message by renaming it into ``taken/<its process>/``: of two consumers
  only one rename succeeds, so no message is delivered twice while its taker lives;
- an acknowledged message is deleted; a rejected or unacknowledged one is put back;
- a consumer killed before acknowledging leaves its ``taken/`` folder behind, and the next
  channel opened on the folder, in any process, puts those messages back in the queue;
- an idle consumer polls often at first and backs off to ``polling_interval``.

URL: ``spool://localhost//`` (settings put the folder in the transport options).
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from collections import deque
from pathlib import Path
from queue import Empty

from kombu.transport import TRANSPORT_ALIASES, filesystem, virtual
from kombu.utils.json import dumps, loads

FIRST_IDLE_SLEEP_S = 0.005


def process_token(pid: int) -> str:
    """A name for a live process that a later process with the same pid does not share."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return str(pid)
    start_ticks = stat.rsplit(")", 1)[1].split()[19]
    return f"{pid}-{start_ticks}"


def _is_alive(token: str) -> bool:
    pid = int(token.split("-", 1)[0])
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return process_token(pid) == token


def _message_queue(name: str) -> str:
    """`<ns>_<uuid>.<queue>.msg` → `<queue>` (queue names may contain dots)."""
    return name.partition(".")[2].removesuffix(".msg")


class Channel(filesystem.Channel):
    """Exchanges (direct, topic, fanout) are kombu's file-system tables in ``control/``."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._backlog: dict[str, deque[str]] = {}
        self._taken: dict[str, Path] = {}
        self._taken_folder: tuple[int, Path] | None = None
        for folder in (self.queue_folder, self.tmp_folder, self.taken_root, self.control_folder):
            folder.mkdir(parents=True, exist_ok=True)
        self.recover_orphans()

    @property
    def root(self) -> Path:
        return Path(self.transport_options["folder"])

    @property
    def queue_folder(self) -> Path:
        return self.root / "queue"

    @property
    def tmp_folder(self) -> Path:
        return self.root / "tmp"

    @property
    def taken_root(self) -> Path:
        return self.root / "taken"

    @property
    def taken_folder(self) -> Path:
        pid = os.getpid()  # a forked child takes into a folder of its own
        if self._taken_folder is None or self._taken_folder[0] != pid:
            folder = self.taken_root / process_token(pid)
            folder.mkdir(exist_ok=True)
            self._taken_folder = (pid, folder)
        return self._taken_folder[1]

    @property
    def control_folder(self) -> Path:
        return self.root / "control"

    def recover_orphans(self) -> int:
        """Put back the messages that dead consumers had taken but not acknowledged."""
        restored = 0
        for folder in self.taken_root.iterdir():
            if _is_alive(folder.name):
                continue
            for file in folder.iterdir():
                with contextlib.suppress(FileNotFoundError):  # another process restores it
                    os.rename(file, self.queue_folder / file.name)
                    restored += 1
            with contextlib.suppress(OSError):
                folder.rmdir()
        return restored

    def _put(self, queue, payload, **kwargs):
        name = f"{time.time_ns():020d}_{uuid.uuid4().hex}.{queue}.msg"
        partial = self.tmp_folder / name
        partial.write_text(dumps(payload), encoding="utf-8")
        os.replace(partial, self.queue_folder / name)

    def _get(self, queue):
        backlog = self._backlog.get(queue)
        if not backlog:
            backlog = self._backlog[queue] = deque(self._listing(queue))
        taken_folder = self.taken_folder
        while backlog:
            name = backlog.popleft()
            taken = taken_folder / name
            try:
                os.rename(self.queue_folder / name, taken)
            except FileNotFoundError:
                continue  # another consumer took it first
            payload = loads(taken.read_text(encoding="utf-8"))
            self._taken[payload["properties"]["delivery_tag"]] = taken
            return payload
        raise Empty()

    def _listing(self, queue: str) -> list[str]:
        return sorted(name for name in os.listdir(self.queue_folder) if _message_queue(name) == queue)

    def _settle(self, delivery_tag: str) -> None:
        taken = self._taken.pop(delivery_tag, None)
        if taken is not None:
            with contextlib.suppress(FileNotFoundError):
                taken.unlink()

    def basic_ack(self, delivery_tag, multiple=False):
        super().basic_ack(delivery_tag, multiple=multiple)
        self._settle(delivery_tag)

    def basic_reject(self, delivery_tag, requeue=False):
        super().basic_reject(delivery_tag, requeue=requeue)  # a requeued copy is written first
        self._settle(delivery_tag)

    def _restore(self, message):
        super()._restore(message)
        self._settle(message.delivery_tag)

    def _purge(self, queue):
        self._backlog.pop(queue, None)
        count = 0
        for name in self._listing(queue):
            with contextlib.suppress(FileNotFoundError):
                (self.queue_folder / name).unlink()
                count += 1
        return count

    def _size(self, queue):
        return len(self._listing(queue))


class Transport(filesystem.Transport):
    Channel = Channel
    polling_interval = 0.1  # the longest an idle consumer sleeps between looks
    driver_type = "spool"
    driver_name = "spool"
    states: dict[str, virtual.BrokerState] = {}

    def __init__(self, client, **kwargs):
        super().__init__(client, **kwargs)
        # Declared exchanges and bindings are remembered per folder, not per process: a
        # process that moves to another folder (tests do) declares its bindings there again.
        self.state = self.states.setdefault(client.transport_options["folder"], virtual.BrokerState())

    def drain_events(self, connection, timeout=None):
        """kombu's loop, but an idle consumer's sleep grows from 5 ms to `polling_interval`."""
        started = time.monotonic()
        sleep_s = FIRST_IDLE_SLEEP_S
        while True:
            try:
                self.cycle.get(self._deliver, timeout=timeout)
                return
            except Empty:
                if timeout is not None and time.monotonic() - started >= timeout:
                    raise TimeoutError() from None
                time.sleep(min(sleep_s, self.polling_interval))
                sleep_s *= 2


TRANSPORT_ALIASES["spool"] = f"{__name__}:Transport"
