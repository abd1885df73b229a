"""Whether the database can take this process's writes now, answered within a deadline.

``SELECT 1`` on a fresh connection says little: under SQLite's WAL mode it
succeeds while another process holds the write lock, and it bypasses the one
writer every callback waits for. So the probe is a tiny unit of work sent down
the callbacks' own path (:meth:`Database.run_callback`): on SQLite that unit
opens with ``BEGIN IMMEDIATE`` and so needs the write lock; on PostgreSQL it
needs the same connection and commit queue the callbacks use. Under load it
rides along in someone else's group commit and costs next to nothing.

A probe that has not finished by the deadline counts as unhealthy but is not
abandoned: it stays queued, and health checks arriving meanwhile wait for that
one instead of piling up more units behind a stuck writer.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import text
from sqlalchemy.orm import Session

from app.db import Database

log = logging.getLogger("hongxin.health")

# Well inside the callbacks' 4.5 s budget and the Docker HEALTHCHECK's 4 s timeout:
# a writer that cannot commit an empty unit in this time is not serving callbacks.
PROBE_DEADLINE_SECONDS = 2.0


def _touch(session: Session) -> None:
    session.execute(text("SELECT 1"))


class DatabaseProbe:
    def __init__(self, database: Database, *,
                 deadline_seconds: float = PROBE_DEADLINE_SECONDS) -> None:
        self._database = database
        self._deadline = deadline_seconds
        self._inflight: asyncio.Future[None] | None = None

    async def healthy(self) -> bool:
        """``True`` when an empty unit of work committed within the deadline."""
        probe = self._inflight
        if probe is None or probe.done():
            probe = self._inflight = self._database.run_callback(_touch)
            probe.add_done_callback(_log_failure)
        try:
            await asyncio.wait_for(asyncio.shield(probe), self._deadline)
        except TimeoutError:
            log.warning("database probe still waiting after %.1f s", self._deadline)
            return False
        except Exception:  # any failure means unhealthy; _log_failure logs it
            return False
        return True


def _log_failure(probe: asyncio.Future[None]) -> None:
    # Retrieving the exception here also keeps asyncio from warning about it when
    # every health check that waited for this probe has already given up.
    if not probe.cancelled() and (error := probe.exception()) is not None:
        log.warning("database probe failed: %s", error)
