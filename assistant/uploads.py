"""The web app's upload queue: uploads are indexed one at a time by one worker thread, in the order
they came, while every other request goes on being answered. Also the clean-up of the files an
upload or a prep export leaves in Gradio's temp folder.

The worker runs at a lower CPU priority (Linux: per thread, inherited by the threads the index
build starts), so questions keep their share of the cores during a long upload. Each upload gets
a :class:`Ticket` that the page polls: its place in the queue, then how far the indexing is.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

Progress = Callable[[int, int, str], None]  # (done, total, stage): what the index build reports
WORKER_NICENESS = 10


@dataclass
class Ticket:
    """One upload: where it is and, once ``done`` is set, its ``result`` (or ``error``)."""

    number: int
    client: str = ""  # the browser session that sent it
    address: str = ""  # and its network address
    size: int = 0  # bytes received
    done: threading.Event = field(default_factory=threading.Event)
    stage: str = ""  # "" until the index build reports, then e.g. "passages" or "sentences"
    completed: int = 0
    total: int = 0
    result: Any = None
    error: BaseException | None = None

    def report(self, done: int, total: int, stage: str = "") -> None:
        """The progress callback handed to the work (thread-safe enough: plain attribute writes)."""
        self.completed, self.total, self.stage = int(done), int(total), str(stage or self.stage)


class QueueFull(Exception):
    """An upload that may not wait: its session, its address or the queue as a whole has enough."""

    def __init__(self, kind: str, n: float):
        super().__init__(kind)
        self.kind, self.n = kind, n  # kind: "session", "address" or "total"; n: the count or megabytes


@dataclass(frozen=True)
class QueueLimits:
    per_session: int = 2
    per_address: int = 20
    pending_bytes: int = 200_000_000


class UploadQueue:
    """``submit(work, ...)`` queues ``work(progress)``; one worker runs them one at a time, taking
    clients in turn (round robin), so one client's large uploads never hold another's small one
    back by more than the build that is running. ``position(ticket)`` is its place (0: started)."""

    def __init__(self, niceness: int = WORKER_NICENESS, limits: QueueLimits | None = None):
        self._niceness = niceness
        self.limits = limits or QueueLimits()
        self._cond = threading.Condition()
        self._pending: dict[str, list[tuple[Ticket, Callable[[Progress], Any]]]] = {}  # client -> its uploads
        self._count = 0
        self._worker: threading.Thread | None = None

    def submit(self, work: Callable[[Progress], Any], client: str = "", address: str = "", size: int = 0) -> Ticket:
        """Queue ``work`` for ``client`` (a browser session) at ``address``; :class:`QueueFull` when
        that client, that address or the queue as a whole has as much waiting as it may."""
        with self._cond:
            waiting = [t for q in self._pending.values() for t, _ in q]
            if len(self._pending.get(client, ())) >= self.limits.per_session:
                raise QueueFull("session", self.limits.per_session)
            if sum(t.address == address for t in waiting) >= self.limits.per_address:
                raise QueueFull("address", self.limits.per_address)
            pending = sum(t.size for t in waiting)
            if waiting and pending + size > self.limits.pending_bytes:
                raise QueueFull("total", pending / 1e6)
            self._count += 1
            ticket = Ticket(self._count, client=client, address=address, size=size)
            self._pending.setdefault(client, []).append((ticket, work))
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._run, name="upload-worker", daemon=True)
                self._worker.start()
            self._cond.notify()
        return ticket

    def _order(self) -> list[tuple[Ticket, Callable[[Progress], Any]]]:
        """The waiting uploads in the order they will run: clients in turn, each in its own order."""
        queues = [list(q) for q in self._pending.values()]  # dict order: the client waiting longest first
        out = []
        while any(queues):
            for q in queues:
                if q:
                    out.append(q.pop(0))
        return out

    def position(self, ticket: Ticket) -> int:
        """1 for the next upload to start, 2 for the one after it...; 0 once it has started."""
        with self._cond:
            for i, (t, _) in enumerate(self._order(), start=1):
                if t is ticket:
                    return i
        return 0

    def _next(self) -> tuple[Ticket, Callable[[Progress], Any]]:
        client = next(iter(self._pending))
        queue = self._pending.pop(client)
        item = queue.pop(0)
        if queue:
            self._pending[client] = queue  # to the back of the line of clients
        return item

    def _run(self) -> None:
        try:  # Linux: niceness is per thread and inherited by the threads this one starts
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), self._niceness)
        except (AttributeError, OSError) as e:
            log.info("upload worker keeps normal priority (%s)", e)
        while True:
            with self._cond:
                while not self._pending:
                    self._cond.wait()
                ticket, work = self._next()
            try:
                ticket.result = work(ticket.report)
            except BaseException as e:  # noqa: BLE001 - handed to the page that waits for it
                log.warning("upload %d failed: %s", ticket.number, e, exc_info=True)
                ticket.error = e
            finally:
                ticket.done.set()


def status_text(queue: UploadQueue, ticket: Ticket) -> str:
    """What the upload panel says while an upload waits or is indexed."""
    from .prompts import UI

    place = queue.position(ticket)
    if place:
        return UI["upload_queued"].format(place=place)
    if ticket.total:
        stage = UI["upload_stages"].get(ticket.stage, ticket.stage)
        return UI["upload_embedding"].format(done=ticket.completed, total=ticket.total, stage=stage)
    return UI["upload_progress"]


# --- the web app's temp files (Gradio's upload folder: GRADIO_TEMP_DIR) ------------------------------


def discard_received(paths: list[Any]) -> None:
    """Remove the files Gradio received for an upload (and their folder) once ingested or refused."""
    from gradio.utils import get_upload_folder

    root = Path(get_upload_folder()).resolve()
    for p in paths:
        path = Path(p).resolve()
        if path.is_relative_to(root) and path != root:
            path.unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                path.parent.rmdir()  # Gradio's per-file folder, when nothing else is in it


def prep_folder() -> Path:
    """A fresh folder for one prep export in Gradio's upload folder, whose clean-up (delete_cache)
    then removes the export (served from there, not copied); folders it emptied go now."""
    import uuid

    from gradio.utils import get_upload_folder

    root = Path(get_upload_folder())
    for old in root.glob("voorbereiding-*"):
        with contextlib.suppress(OSError):
            old.rmdir()  # only when empty
    return root / f"voorbereiding-{uuid.uuid4().hex}"
