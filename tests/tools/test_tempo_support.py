"""tests/support/tempo.py: a 200 from Tempo is not a trace until it has spans."""

from __future__ import annotations

import pytest

from tests.support.tempo import found_trace, span_count

pytestmark = pytest.mark.unit

# What Tempo 3.0 answers for an id it has not stored yet (seen on a real engine).
NOT_YET = {"trace": {}, "metrics": {}}
# The same trace once stored: OTLP JSON under "trace" (tempopb.Trace is resourceSpans).
STORED = {
    "trace": {
        "resourceSpans": [
            {
                "resource": {
                    "attributes": [
                        {"key": "service.name", "value": {"stringValue": "genai-service"}}
                    ]
                },
                "scopeSpans": [
                    {
                        "scope": {"name": "opentelemetry.instrumentation.fastapi"},
                        "spans": [
                            {
                                "traceId": "S2bq8mzW2/PXEqvb8rBzrg==",
                                "spanId": "AAAAAAAAAAE=",
                                "name": "POST /v1/chat/completions",
                            },
                            {
                                "traceId": "S2bq8mzW2/PXEqvb8rBzrg==",
                                "spanId": "AAAAAAAAAAI=",
                                "name": "chat claude-haiku-4-5",
                            },
                        ],
                    }
                ],
            }
        ]
    },
    "metrics": {"inspectedBytes": "1234"},
}


def test_an_empty_200_is_not_a_trace() -> None:
    assert span_count(NOT_YET) == 0
    assert found_trace(200, NOT_YET) is None


def test_a_trace_with_spans_is_found() -> None:
    assert span_count(STORED) == 2
    assert found_trace(200, STORED) is STORED


def test_errors_are_not_traces() -> None:
    assert found_trace(404, None) is None
    assert found_trace(500, STORED) is None
