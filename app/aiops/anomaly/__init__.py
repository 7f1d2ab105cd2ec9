"""Anomaly scores: how far each service's key signals are from their own recent normal.

Every AIOPS_ANOMALY_INTERVAL_S (60 s) aiops reads, from Prometheus, the last
AIOPS_ANOMALY_LOOKBACK_S (3 h) of four signals per service (signals.py: latency p95, 5xx ratio,
cost rate, token rate), scores the latest value against that history with a robust z-score
(median and MAD, score.py), and exports the score, normalised to 0..1, as the gauge
aiops_anomaly_score{anomaly_service, anomaly_signal} (detector.py). AnomalyScoreHigh
(prometheus/rules/anomaly.yml) fires above 0.8; the incident summary says which signal moved
and by how much (describe.py). Deterministic: no model, no network beyond Prometheus.
"""
