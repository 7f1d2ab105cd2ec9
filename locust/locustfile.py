"""Synthetic GenAI traffic for the lab: tenants chatting, streaming, embedding, repeating FAQs.

Runs natively (`locust -f locust/locustfile.py`) and in the locustio/locust image, so it imports
only the standard library, Locust and its own folder (lab_shapes.py), never the project.

Traffic is marked synthetic with W3C baggage (`synthetic=true,load.shape=<shape>`), so
dashboards and the service can tell it from real users. Streamed chat reports time to first
token as its own Locust entry (type TTFT). Failures are named `HTTP <status> <error type>` so
Locust's failures table groups them the way the dashboards do.

Environment (all optional; Locust's own LOCUST_* options work as usual):
  LAB_TENANT_KEYS      tenant=key,... : each simulated tenant calls with its own key (and names
                       itself in X-Tenant-ID, which the service checks against the key)
  LAB_API_KEY          the key for tenants without one of their own, as tenant "lab"
  LOCUST_SHAPE         steady | step | spike | wave (see lab_shapes.py)
  LAB_THINK_MIN_S / LAB_THINK_MAX_S   think time between tasks (default 1 / 5 s)
  LAB_MODELS           comma-separated chat models to use if GET /v1/models fails
  LAB_REQUEST_TIMEOUT_S               per-request timeout (default 60 s)
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any, ClassVar

import lab_shapes

from locust import HttpUser, LoadTestShape, between, task

SHAPE_CONFIG = lab_shapes.ShapeConfig.from_env(os.environ)
SHAPE = SHAPE_CONFIG.name

API_KEY = os.environ.get("LAB_API_KEY", "").strip()


def parse_tenant_keys(spec: str) -> dict[str, str]:
    """`acme=key1,globex=key2` -> {"acme": "key1", "globex": "key2"} (blank parts skipped)."""
    keys = {}
    for part in spec.split(","):
        tenant, sep, key = part.strip().partition("=")
        if sep and tenant.strip() and key.strip():
            keys[tenant.strip()] = key.strip()
    return keys


TENANT_KEYS = parse_tenant_keys(os.environ.get("LAB_TENANT_KEYS", ""))
THINK_MIN_S = float(os.environ.get("LAB_THINK_MIN_S", "1"))
THINK_MAX_S = float(os.environ.get("LAB_THINK_MAX_S", "5"))
TIMEOUT_S = float(os.environ.get("LAB_REQUEST_TIMEOUT_S", "60"))
FALLBACK_CHAT_MODELS = [
    m.strip() for m in os.environ.get("LAB_MODELS", "claude-haiku-4-5").split(",") if m.strip()
]

# A few tenants of different sizes, so per-tenant panels show a skewed, realistic split.
TENANTS: dict[str, tuple[int, tuple[str, ...]]] = {
    "acme": (5, ("alice", "bob", "carol", "dan")),
    "globex": (3, ("erin", "frank", "grace")),
    "initech": (2, ("heidi", "ivan")),
}

# The same questions asked again and again: a semantic/prompt cache should answer these.
FAQ_PROMPTS = (
    "What are your support hours?",
    "How do I reset my password?",
    "Summarise our refund policy in two sentences.",
    "What is the difference between the basic and the pro plan?",
    "How do I export my data?",
)
TOPICS = ("invoices", "a delayed shipment", "an API error", "onboarding", "a data export")
ASKS = ("Explain", "Draft a reply about", "Summarise the history of", "List next steps for")
EMBED_TEXTS = (
    "Refunds are processed within five business days.",
    "Our API rate limit is 600 requests per minute per tenant.",
    "Invoices are issued on the first day of each month.",
    "Passwords must be at least twelve characters long.",
    "Data exports are available as CSV or Parquet.",
    "Support is available around the clock for pro customers.",
)


def model_weight(model_id: str) -> int:
    """Most traffic goes to the small model, some to the mid one, a little to the large one."""
    for part, weight in (("haiku", 6), ("sonnet", 3), ("opus", 1)):
        if part in model_id:
            return weight
    return 2


def pick_chat_model(models: list[str]) -> str:
    return random.choices(models, weights=[model_weight(m) for m in models])[0]


def failure_name(status: int, body: str) -> str:
    """`HTTP 429 throttled`: the status plus the OpenAI-style error type, when there is one."""
    kind = ""
    try:
        err = json.loads(body).get("error", {})
        if isinstance(err, dict):
            kind = str(err.get("type") or err.get("code") or "")
    except (ValueError, AttributeError):
        pass
    return f"HTTP {status} {kind}".strip()


class GenAIUser(HttpUser):
    """One person of one tenant using the assistant, with pauses to read and type."""

    wait_time = between(THINK_MIN_S, THINK_MAX_S)
    chat_models: ClassVar[list[str]] = []
    embedding_models: ClassVar[list[str]] = []

    def on_start(self) -> None:
        names = list(TENANTS)
        self.tenant = random.choices(names, weights=[TENANTS[n][0] for n in names])[0]
        self.user_id = f"{self.tenant}-{random.choice(TENANTS[self.tenant][1])}"
        if not GenAIUser.chat_models:
            self._discover_models()

    def _discover_models(self) -> None:
        # Read once per process; the fallback keeps the load running if the service is still
        # starting or the listing fails under an injected fault.
        chat, embed = [], []
        try:
            r = self.client.get(
                "/v1/models", headers=self._headers(), name="models", timeout=TIMEOUT_S
            )
            if r.ok:
                for m in r.json().get("data", []):
                    mid = str(m.get("id", ""))
                    (embed if "embed" in mid else chat).append(mid)
        except (ValueError, OSError):
            pass
        GenAIUser.chat_models = chat or FALLBACK_CHAT_MODELS
        GenAIUser.embedding_models = embed or ["titan-embed-text-v2"]

    def _headers(self, task_name: str = "") -> dict[str, str]:
        baggage = f"synthetic=true,load.shape={SHAPE}"
        if task_name:
            baggage += f",load.task={task_name}"
        tenant = getattr(self, "tenant", "acme")
        headers = {
            "X-User-ID": getattr(self, "user_id", "acme-alice"),
            "X-Request-ID": str(uuid.uuid4()),
            "baggage": baggage,
        }
        key = TENANT_KEYS.get(tenant)
        if key:
            # The tenant's own key: its limits and budget, and X-Tenant-ID agrees with it.
            headers["Authorization"] = f"Bearer {key}"
            headers["X-Tenant-ID"] = tenant
        elif API_KEY:
            # The lab's key acts only as tenant "lab" (it may not name another tenant).
            headers["Authorization"] = f"Bearer {API_KEY}"
        else:
            headers["X-Tenant-ID"] = tenant  # keys off (`make run`): the tenant is just a label
        return headers

    def _chat_body(self, prompt: str, **extra: Any) -> dict[str, Any]:
        return {
            "model": pick_chat_model(self.chat_models),
            "messages": [
                {"role": "system", "content": "You are a concise support assistant."},
                {"role": "user", "content": prompt},
            ],
            "max_tokens": random.choice((64, 128, 256, 512)),
            **extra,
        }

    @contextlib.contextmanager
    def _posted(
        self, path: str, name: str, body: dict[str, Any], task_name: str, *, stream: bool = False
    ) -> Iterator[Any]:
        """POSTs as Locust measures it; yields the response when it is a 200, else None (the
        request already marked failed, by status)."""
        with self.client.post(
            path,
            json=body,
            headers=self._headers(task_name),
            name=name,
            timeout=TIMEOUT_S,
            stream=stream,
            catch_response=True,
        ) as r:
            if r.status_code != 200:
                r.failure(failure_name(r.status_code, r.text))
                yield None
            else:
                yield r

    def _post(self, path: str, name: str, body: dict[str, Any], task_name: str) -> None:
        with self._posted(path, name, body, task_name) as r:
            if r is not None:
                r.success()

    @task(40)
    def chat(self) -> None:
        # A fresh question each time, so the cache does not answer it.
        prompt = f"{random.choice(ASKS)} {random.choice(TOPICS)} (case {random.randrange(10**6)})"
        self._post("/v1/chat/completions", "chat", self._chat_body(prompt), "chat")

    @task(20)
    def chat_stream(self) -> None:
        prompt = f"{random.choice(ASKS)} {random.choice(TOPICS)} (case {random.randrange(10**6)})"
        body = self._chat_body(prompt, stream=True, stream_options={"include_usage": True})
        started = time.perf_counter()
        with self._posted(
            "/v1/chat/completions", "chat (stream)", body, "chat_stream", stream=True
        ) as r:
            if r is None:
                return
            first_token_ms: float | None = None
            done, error, received = False, "", 0
            try:
                for raw in r.iter_lines():
                    received += len(raw) + 1
                    if not raw.startswith(b"data:"):
                        continue
                    data = raw[5:].strip()
                    if data == b"[DONE]":
                        done = True
                        break
                    chunk = json.loads(data)
                    if "error" in chunk:
                        error = failure_name(200, data.decode())
                        break
                    choices = chunk.get("choices") or []
                    has_text = any((c.get("delta") or {}).get("content") for c in choices)
                    if has_text and first_token_ms is None:
                        first_token_ms = (time.perf_counter() - started) * 1000
            except (OSError, ValueError) as exc:
                error = f"stream broken: {type(exc).__name__}"
            # Report the whole stream, not just the headers, as the request's duration.
            r.request_meta["response_time"] = (time.perf_counter() - started) * 1000
            r.request_meta["response_length"] = received
            if error or not done:
                r.failure(error or "stream ended without [DONE]")
                return
            r.success()
        if first_token_ms is not None:
            self.environment.events.request.fire(
                request_type="TTFT",
                name="chat (stream) time to first token",
                response_time=first_token_ms,
                response_length=0,
                exception=None,
                context={},
            )

    @task(20)
    def chat_cached(self) -> None:
        # Same model, prompt and settings as before, so a response/prompt cache can hit.
        body = {
            "model": self.chat_models[0],
            "messages": [{"role": "user", "content": random.choice(FAQ_PROMPTS)}],
            "max_tokens": 128,
            "temperature": 0,
        }
        self._post("/v1/chat/completions", "chat (repeated prompt)", body, "chat_cached")

    @task(15)
    def embeddings(self) -> None:
        body = {
            "model": random.choice(self.embedding_models),
            "input": random.sample(EMBED_TEXTS, k=random.randint(1, 4)),
        }
        self._post("/v1/embeddings", "embeddings", body, "embeddings")

    @task(4)
    def list_models(self) -> None:
        self.client.get("/v1/models", headers=self._headers("models"), name="models")

    @task(1)
    def crash(self) -> None:
        # /crash fails on purpose, to put exceptions in traces and logs; a 500 is its success.
        with self.client.get(
            "/crash",
            headers=self._headers("crash"),
            name="crash (expected 500)",
            catch_response=True,
        ) as r:
            if r.status_code == 500:
                r.success()
            else:
                r.failure(f"expected HTTP 500 from /crash, got {r.status_code}")


class LabShape(LoadTestShape):
    """The shape LOCUST_SHAPE names, scaled from the base user count (see lab_shapes.py)."""

    # Abstract: Locust runs every concrete shape in this module, and exactly one must exist.
    abstract = True
    # Lets -u/-r and the web UI's user count reach the shape instead of being ignored.
    use_common_options = True
    config = SHAPE_CONFIG

    def __init__(self) -> None:
        super().__init__()
        self._first_seen: int | None = None
        self._explicit = lab_shapes.users_given_explicitly(sys.argv, os.environ)

    def tick(self) -> tuple[int, float] | None:
        t = self.get_run_time()
        cfg = self.config
        if cfg.run_s is not None and t >= cfg.run_s:
            return None
        opts = self.runner.environment.parsed_options if self.runner else None
        given = getattr(opts, "num_users", None)
        if self._first_seen is None:
            self._first_seen = given
        base = lab_shapes.base_level(given, self._first_seen, self._explicit)
        requested_rate = getattr(opts, "spawn_rate", None) if base else None
        base = base or lab_shapes.DEFAULT_BASE_USERS
        rate = lab_shapes.spawn_rate_for(cfg.name, base, requested_rate, cfg.time_scale)
        return lab_shapes.users_at(cfg.name, t, base, cfg.time_scale), rate


# The one concrete shape, named after the selection (the web UI and logs show this name).
SelectedShape = type(f"{SHAPE.capitalize()}Shape", (LabShape,), {"abstract": False})
