"""Backend answers parse into context: recorded Prometheus, documented Loki and Tempo shapes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from aiops.gather import loki, prometheus, tempo
from lab_telemetry.instruments import catalogue
from tests.support.aiops_fixtures import load_json, prom_scenario

pytestmark = pytest.mark.contract


@pytest.mark.parametrize(
    ("expr", "query", "threshold"),
    [
        ("sum(rate(x[5m])) * 3600 > 5", "sum(rate(x[5m])) * 3600", "> 5"),
        ("histogram_quantile(0.95, sum by (le) (rate(b[1m]))) >= bool 2", None, ">= 2"),
        ('up{job="a>b"} == 0', 'up{job="a>b"}', "== 0"),
        ("rate(a[1m]) > on() b", "rate(a[1m]) > on() b", None),
        ("absent(up)", "absent(up)", None),
        ("sum(a) > 20\nor\nsum(b) > 20", "sum(a) > 20\nor\nsum(b) > 20", None),
        ('up{job="x"} == 0 and on() b > 1', None, None),
    ],
)
def test_split_threshold(expr: str, query: str | None, threshold: str | None) -> None:
    got_query, got_threshold = prometheus.split_threshold(expr)
    if query is not None:
        assert got_query == query
    assert got_threshold == threshold


def test_related_queries_use_catalogue_series_and_labels() -> None:
    cat = catalogue()
    queries = prometheus.related_queries({"service_name": "genai-service"})
    assert cat["genai_lab.exceptions.unhandled"].prometheus in queries["exceptions"]
    assert "http_route, exception_type" in queries["exceptions"]
    assert f"{cat['http.server.request.duration'].prometheus}_bucket" in queries["p95_latency"]
    assert 'service_name="genai-service"' in queries["error_rate"]
    # Without a service label, aiops's own HTTP metrics are kept out.
    assert 'job!~".*aiops.*"' in prometheus.related_queries({})["error_rate"]
    with pytest.raises(KeyError):
        cat["genai_lab.cost.usd"].label("http.route")


def test_recorded_crash_shows_exceptions_on_crash_route_rising_from_zero() -> None:
    results, scenario = prom_scenario("crash")
    by_name = {r.name: r for r in results}
    exc = by_name["exceptions"].series
    crash = next(s for s in exc if s.labels.get("http_route") == "/crash")
    assert crash.labels["exception_type"] == "RuntimeError"
    assert (crash.baseline or 0) < 1 < (crash.peak or 0)
    assert crash.first_nonzero is not None
    assert crash.first_nonzero >= datetime.fromisoformat(scenario["window_start"])
    # The 5xx rate for /crash shows it too, from a different series.
    assert any(s.labels.get("http_route") == "/crash" for s in by_name["error_rate"].series)


def test_recorded_latency_shows_chat_p95_far_above_its_baseline() -> None:
    results, _ = prom_scenario("latency")
    p95 = {r.name: r for r in results}["p95_latency"].series
    chat = next(s for s in p95 if s.labels.get("http_route") == "/v1/chat/completions")
    embed = next(s for s in p95 if s.labels.get("http_route") == "/v1/embeddings")
    assert chat.baseline is not None and chat.peak is not None
    assert chat.peak > 2 > chat.baseline
    assert embed.peak is not None and embed.peak < 0.1


def test_prometheus_error_answer_is_an_error_not_an_empty_result() -> None:
    body = {"status": "error", "errorType": "bad_data", "error": "parse error"}
    with pytest.raises(ValueError, match="parse error"):
        prometheus.parse_matrix("x", "x", body, datetime.now(UTC))


def test_loki_streams_give_messages_routes_and_trace_ids() -> None:
    entries = loki.parse_streams(load_json("loki/crash-errors.json"))
    assert [e.time for e in entries] == sorted((e.time for e in entries), reverse=True)
    crash = entries[0]
    assert crash.message == "unhandled exception: simulated crash: /crash was called"
    assert (crash.route, crash.exception_type, crash.level) == ("/crash", "RuntimeError", "error")
    assert crash.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736"
    # A JSON body (structlog rendering) gives its event plus the error detail.
    assert any(e.message == "cache write failed: timeout" for e in entries)


def test_loki_query_selects_the_service_and_error_levels() -> None:
    q = loki.error_logs_query("genai-service")
    assert q.startswith('{service_name="genai-service"}')
    assert "detected_level=~" in q and "severity_text=~" in q


def test_tempo_search_hits_and_ranking() -> None:
    errors = tempo.parse_search(load_json("tempo/crash-search.json"), error=True)
    assert errors[0].trace_id == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert errors[0].root_name == "GET /crash" and errors[0].duration_ms == 4.0
    assert errors[1].duration_ms is None  # left out by protobuf JSON when zero
    slow = tempo.parse_search(load_json("tempo/slow-search.json"), error=False)
    merged = tempo.merge(errors, slow + errors)
    assert [h.error for h in merged] == [True, True, False, False]
    assert merged[2].duration_ms == 3412.0
    assert tempo.error_traces_query("genai-service") == (
        '{ resource.service.name = "genai-service" && status = error }'
    )
