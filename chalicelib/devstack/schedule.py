"""The schedule: the app's `@app.schedule` handler every LOOPDESK_TICK_SECONDS, as EventBridge would."""
from __future__ import annotations

import logging
import threading
from datetime import datetime, timezone
from typing import Any, Callable, Optional

from chalicelib.devstack.lambda_events import scheduled_event

log = logging.getLogger("loopdesk.devstack.schedule")

Handler = Callable[[dict[str, Any], Any], Any]


class Ticker:
    """Calls `handler(scheduled_event, None)` every `interval` seconds (the first one interval after start).

    A failing tick is logged (with its traceback the first time a given error appears) and the loop
    goes on: the next tick is the retry, as with a scheduled Lambda.
    """

    def __init__(self, handler: Handler, interval: float, region: str,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> None:
        self._handler = handler
        self._interval = interval
        self._region = region
        self._clock = clock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="schedule", daemon=True)
        self._last_error: Optional[str] = None
        self.ticks = 0

    def start(self) -> None:
        self._thread.start()
        log.info("governance tick every %g s", self._interval)

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.tick()

    def tick(self) -> Any:
        """One scheduled invocation; never raises."""
        self.ticks += 1
        try:
            result = self._handler(scheduled_event(self._clock(), self._region), None)
        except Exception as error:
            signature = f"{type(error).__name__}: {error}"
            if signature != self._last_error:
                log.exception("governance tick failed (logged once until it changes or recovers)")
                self._last_error = signature
            return None
        if self._last_error is not None:
            log.info("governance tick works again")
            self._last_error = None
        alerts = result.get("alerts") if isinstance(result, dict) else None
        if alerts:
            log.info("governance tick fired %d alert(s): %s", len(alerts),
                     ", ".join(str(a.get("type", "?")) if isinstance(a, dict) else "?" for a in alerts))
        return result
