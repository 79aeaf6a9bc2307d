"""`python -m chalicelib.devstack` (`make run`): start the local stack; Ctrl-C or SIGTERM stops it cleanly."""
from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from types import FrameType
from typing import Optional

from chalicelib.devstack.options import DevOptions, OptionError
from chalicelib.devstack.stack import LocalStack, banner

log = logging.getLogger("loopdesk.devstack")


class Interrupted(Exception):
    """SIGINT or SIGTERM arrived: unwind and stop everything."""


DUPLICATE_SIGNAL_SECONDS = 1.0  # make, timeout and terminals may deliver one Ctrl-C twice
_first_signal_at: Optional[float] = None


def _on_signal(signum: int, frame: Optional[FrameType]) -> None:
    """The first signal unwinds `main`; a repeated one (after a second) forces the exit."""
    global _first_signal_at
    if _first_signal_at is None:
        _first_signal_at = time.monotonic()
        raise Interrupted(signal.Signals(signum).name)
    if time.monotonic() - _first_signal_at > DUPLICATE_SIGNAL_SECONDS:
        print("Stopping anyway.", file=sys.stderr, flush=True)
        os._exit(130)


def main() -> int:
    logging.basicConfig(level=os.environ.get("LOOPDESK_LOG_LEVEL", "INFO").upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        options = DevOptions.from_env()
    except OptionError as error:
        print(f"loopdesk: {error}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    stack = LocalStack(options)
    try:
        ready = stack.start()
        print(banner(ready, options), flush=True)
        threading.Event().wait()  # until a signal interrupts the wait
    except Interrupted as signal_name:
        log.info("%s received: stopping", signal_name)
    except RuntimeError as error:  # an expected failure (port in use, the API refusing demo data): no traceback
        log.error("the local stack failed to start: %s", error)
        stack.stop()
        return 1
    except Exception:
        log.exception("the local stack failed to start")
        stack.stop()
        return 1
    stack.stop()
    log.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
