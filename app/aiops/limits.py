"""How much of a webhook aiops accepts and keeps. Every bound has a reason next to it.

Alertmanager's own payloads are small (an alert is a few hundred bytes of labels and
annotations; the project's routes send at most ALERTMANAGER_MAX_ALERTS per notification, see
alertmanager/alertmanager.yml `max_alerts`). The bounds leave room for that many times over and
stop a hostile or broken sender from filling memory or the incidents volume.
"""

from __future__ import annotations

#: A request body: checked on Content-Length and again while it streams in.
MAX_BODY_BYTES = 1024 * 1024
#: Alerts in one notification (Alertmanager sends at most its webhook `max_alerts`, 100 here).
MAX_ALERTS = 200
#: Distinct alerts (fingerprints) one incident keeps; later ones are counted, not stored.
MAX_ALERTS_PER_INCIDENT = 100
#: Delivery keys remembered per incident for de-duplication (the most recent ones).
MAX_DELIVERIES = 100
MAX_LABELS = 32
MAX_ANNOTATIONS = 16
MAX_NAME = 128
MAX_LABEL_VALUE = 1024
MAX_ANNOTATION_VALUE = 4096
MAX_URL = 4096
MAX_GROUP_KEY = 2048
MAX_SHORT = 256
#: A log line quoted as evidence in a summary (Loki accepts lines of hundreds of kB).
MAX_EVIDENCE_TEXT = 1024
#: An incident record on disk larger than this predates these limits or was not written by
#: aiops; it is left on disk and skipped (logged) rather than read into memory at start.
MAX_RECORD_BYTES = 8 * 1024 * 1024
#: Full incident records kept in memory (the index of every incident is always there).
CACHE_BYTES = 16 * 1024 * 1024
#: The earliest and latest alert start accepted: outside it, time arithmetic overflows (year 1,
#: 9999) and no real alert lives there.
MIN_YEAR = 2000
MAX_YEAR = 2200
