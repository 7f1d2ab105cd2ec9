"""Counting what the telemetry pipeline drops, and saying so once per interval.

When the collector is down or slow the SDK drops data in two places: a batch processor whose
queue is full drops the newest item (and logs a warning per item), and an exporter whose
export fails loses the batch (and logs an error per batch). Both are counted here, by signal
(traces, metrics, logs) and reason (queue_full, export_failed), into the catalogued counter
genai_lab.telemetry.dropped; the per-item log lines are suppressed and replaced by one summary
line per interval, so a dead collector cannot flood stdout or feed more logs into a full queue.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable

from lab_telemetry.instruments import instrument
from lab_telemetry.sdk_private import SDK_EXPORT_LOGGERS, SDK_QUEUE_LOGGER, queue_full_kind

_SDK_SIGNAL = {"Span": "traces", "Log": "logs"}

_log = logging.getLogger("lab_telemetry")


class DropCounter:
    """Thread-safe drop counts; records the metric at once and logs a summary per interval."""

    def __init__(self, report_interval_s: float = 30.0, log: logging.Logger = _log) -> None:
        self._lock = threading.Lock()
        self._pending: Counter[tuple[str, str]] = Counter()
        self._totals: Counter[tuple[str, str]] = Counter()
        self._last_error: str | None = None
        self._interval = report_interval_s
        self._log = log
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, signal: str, reason: str, count: int = 1) -> None:
        if count <= 0:
            return
        with self._lock:
            self._pending[(signal, reason)] += count
            self._totals[(signal, reason)] += count
        instrument("genai_lab.telemetry.dropped").add(
            count, {"telemetry.signal": signal, "drop.reason": reason}
        )

    def note_error(self, message: str) -> None:
        with self._lock:
            self._last_error = message[:500]

    def totals(self) -> dict[tuple[str, str], int]:
        with self._lock:
            return dict(self._totals)

    def report(self) -> dict[tuple[str, str], int] | None:
        """Log one line for what was dropped since the last report; returns those counts."""
        with self._lock:
            pending, self._pending = self._pending, Counter()
            last_error, self._last_error = self._last_error, None
        if not pending:
            return None
        dropped = {f"{s}.{r}": n for (s, r), n in sorted(pending.items())}
        self._log.warning(
            "telemetry dropped",
            extra={
                "dropped": dropped,
                "last_error": last_error or "",
                "interval_s": self._interval,
            },
        )
        return dict(pending)

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="telemetry-drops", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None
        self.report()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.report()


class SdkQueueFullFilter(logging.Filter):
    """Turns the SDK's per-item "Queue full, dropping Span." warnings into counted drops.

    Attached to the SDK's batch-processor logger (a logger filter, so it sees the record even
    when no handler would print it) and suppresses the line itself.
    """

    def __init__(self, drops: DropCounter) -> None:
        super().__init__()
        self._drops = drops

    def filter(self, record: logging.LogRecord) -> bool:
        kind = queue_full_kind(record)
        if kind is None:
            return True
        self._drops.add(_SDK_SIGNAL.get(kind, "unknown"), "queue_full")
        return False


class ExportNoiseFilter(logging.Filter):
    """On output handlers: keeps exporter failure warnings out of stdout and OTLP.

    Each failure is already counted by the exporter wrapper; the message is kept as the
    summary's last_error, so the reason is still visible once per interval.
    """

    def __init__(self, drops: DropCounter) -> None:
        super().__init__()
        self._drops = drops

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING and record.name.startswith(SDK_EXPORT_LOGGERS):
            self._drops.note_error(record.getMessage())
            return False
        return True


def install_sdk_queue_filter(drops: DropCounter) -> Callable[[], None]:
    """Attach the queue-full counter to the SDK logger; returns a function that removes it."""
    logger = logging.getLogger(SDK_QUEUE_LOGGER)
    for existing in [f for f in logger.filters if isinstance(f, SdkQueueFullFilter)]:
        logger.removeFilter(existing)
    flt = SdkQueueFullFilter(drops)
    # First in line: the SDK's own DuplicateFilter on this logger drops repeats of the same
    # line for 20 s, and a filter after it would see (and count) only the first.
    logger.filters.insert(0, flt)
    # The warning must be created for the filter to see it, whatever the root level is.
    if logger.level == logging.NOTSET or logger.level > logging.WARNING:
        logger.setLevel(logging.WARNING)
    return lambda: logger.removeFilter(flt)
