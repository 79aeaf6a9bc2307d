"""The stream pump: the source table's real stream records, fed to the app's stream handler.

It stands in for Lambda's event source mapping (which moto would otherwise run, clearing the
records): batches of up to 100 in stream order, at-least-once. A batch whose handler raises is
retried, whole, with a capped backoff; a handler answering `batchItemFailures` gets the batch again
from the first failed record on, as Lambda does when the mapping reports batch item failures.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable, Optional

from chalicelib.devstack.lambda_events import stream_record
from chalicelib.devstack.stream_reader import StreamReader

log = logging.getLogger("loopdesk.devstack.pump")

Handler = Callable[[dict[str, Any], Any], Any]
BATCH_SIZE = 100
IDLE_POLL_SECONDS = 0.2
MAX_BACKOFF_SECONDS = 5.0
REFRESH_SHARDS_SECONDS = 10.0
HOUSEKEEPING_EVERY = 200  # polls


def backoff(attempt: int) -> float:
    """0.25 s, 0.5 s, 1 s, ... capped at 5 s."""
    return min(MAX_BACKOFF_SECONDS, 0.25 * 2 ** max(0, attempt - 1))


class StreamPump:
    """Reads the stream in a thread and invokes `handler({"Records": [...]}, None)` per batch."""

    def __init__(self, reader: StreamReader, handler: Handler, region: str, *,
                 housekeeping: Optional[Callable[[set[str]], None]] = None,
                 idle_seconds: float = IDLE_POLL_SECONDS) -> None:
        self._reader = reader
        self._handler = handler
        self._region = region
        self._housekeeping = housekeeping
        self._idle = idle_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stream-pump", daemon=True)
        self._caught_up = threading.Condition()
        self._polls_started = 0
        self._last_idle_poll = 0
        self.delivered = 0  # records handled so far (for logs and tests)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def wait_until_caught_up(self, timeout: float) -> bool:
        """Wait for a poll that began after this call to find nothing new: every earlier write is handled."""
        with self._caught_up:
            since = self._polls_started
            return self._caught_up.wait_for(lambda: self._last_idle_poll > since, timeout)

    def _run(self) -> None:
        last_refresh, polls, failures = 0.0, 0, 0
        while not self._stop.is_set():
            try:
                if time.monotonic() - last_refresh > REFRESH_SHARDS_SECONDS or not self._reader.readable():
                    self._reader.refresh_shards()
                    last_refresh = time.monotonic()
                with self._caught_up:
                    self._polls_started += 1
                    poll = self._polls_started
                busy = self.poll_once()
                if not busy:
                    with self._caught_up:
                        self._last_idle_poll = poll
                        self._caught_up.notify_all()
                polls, failures = polls + 1, 0
                if self._housekeeping and polls % HOUSEKEEPING_EVERY == 0:
                    self._housekeeping(self._reader.live_iterators())
            except Exception:  # the stream itself failed (not the handler): keep trying
                failures += 1
                log.exception("reading the stream failed (attempt %d)", failures)
                self._stop.wait(backoff(failures))
                continue
            if not busy:
                self._stop.wait(self._idle)

    def poll_once(self) -> bool:
        """One read of every readable shard, each batch handled before moving on; True if any record came."""
        busy = False
        for cursor in self._reader.readable():
            batch = self._reader.read(cursor, BATCH_SIZE)
            if batch.records:
                busy = True
                events = [stream_record(r, self._reader.stream_arn, self._region) for r in batch.records]
                if not self._deliver(events):
                    return busy  # stopping: the batch stays unhandled, as Lambda would leave it
            batch.commit()
        return busy

    def _deliver(self, records: list[dict[str, Any]]) -> bool:
        """Invoke the handler until the batch is handled; False only if the pump stops first."""
        pending, attempt = records, 0
        while not self._stop.is_set():
            attempt += 1
            try:
                answer = self._handler({"Records": pending}, None)
            except Exception as error:
                if attempt == 1:
                    log.exception("stream handler failed on %d records; retrying the batch", len(pending))
                else:
                    log.warning("stream handler failed again on %d records (attempt %d): %s: %s",
                                len(pending), attempt, type(error).__name__, error)
                self._stop.wait(backoff(attempt))
                continue
            remaining = _unhandled(pending, answer)
            if not remaining:
                self.delivered += len(records)
                log.debug("handled %d stream records (%d so far)", len(records), self.delivered)
                if attempt > 1:
                    log.info("stream handler recovered after %d attempts", attempt)
                return True
            log.warning("stream handler reported %d of %d records failed; retrying from the first failure",
                        len(remaining), len(pending))
            pending = remaining
            self._stop.wait(backoff(attempt))
        return False


def _unhandled(records: list[dict[str, Any]], answer: Any) -> list[dict[str, Any]]:
    """The records to hand back after a `{"batchItemFailures": [{"itemIdentifier": seq}]}` answer."""
    failures = answer.get("batchItemFailures") if isinstance(answer, dict) else None
    if not failures:
        return []
    sequences = [r["dynamodb"]["SequenceNumber"] for r in records]
    failed = [f.get("itemIdentifier") for f in failures if isinstance(f, dict)]
    positions = [sequences.index(seq) for seq in failed if seq in sequences]
    if len(positions) != len(failed):  # an identifier Lambda cannot place: the whole batch again
        return records
    return records[min(positions):]
