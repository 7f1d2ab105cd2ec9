"""The pricing table: which models exist, and what a call to each costs.

Prices are data (pricing.yaml), never code, so a price change is a one-line edit with a source.
A model missing from the table is not served at all, so no call is ever costed at $0.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

KINDS = ("chat", "embedding")


@dataclass(frozen=True)
class Usage:
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0


class PricingError(ValueError):
    """The pricing file is malformed; the message says where."""


@dataclass(frozen=True)
class EmbeddingLimits:
    """What an embedding model accepts; requests outside it get a 400 before any call."""

    dimensions: tuple[int, ...]
    max_input_chars: int
    max_inputs: int
    max_total_chars: int


@dataclass(frozen=True)
class ModelPrice:
    id: str
    kind: str  # chat | embedding
    bedrock_id: str
    input: float  # USD per `per_tokens` tokens
    output: float
    cache_read: float
    cache_write: float
    limits: EmbeddingLimits | None = None
    source: str = ""  # where this model's prices were read
    retrieved: str = ""  # when (ISO date)
    alias_of: str | None = None  # an older id kept working: served and priced as this model


@dataclass(frozen=True)
class PricingTable:
    models: dict[str, ModelPrice]
    source: str
    retrieved: str
    per_tokens: int = 1_000_000

    def get(self, model_id: str) -> ModelPrice | None:
        return self.models.get(model_id)

    def ids(self, kind: str | None = None) -> list[str]:
        return [m.id for m in self.models.values() if kind is None or m.kind == kind]

    def cost_usd(self, model_id: str, usage: Usage) -> float:
        """Cost of one call; KeyError for a model the table does not price."""
        p = self.models[model_id]
        # Usage.input_tokens excludes cached tokens (Bedrock's inputTokens does too), so each
        # bucket is priced once at its own rate.
        total = (
            usage.input_tokens * p.input
            + usage.output_tokens * p.output
            + usage.cache_read_tokens * p.cache_read
            + usage.cache_write_tokens * p.cache_write
        )
        return total / self.per_tokens


def _price(entry: dict[str, Any], where: str, name: str) -> float:
    value = entry.get(name)
    if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
        raise PricingError(f"{where}: {name} must be a number >= 0, got {value!r}")
    return float(value)


def _positive_int(raw: Any, where: str) -> int:
    if not isinstance(raw, int) or isinstance(raw, bool) or raw <= 0:
        raise PricingError(f"{where} must be a positive integer, got {raw!r}")
    return raw


def _limits(entry: dict[str, Any], where: str) -> EmbeddingLimits | None:
    raw = entry.get("limits")
    if raw is None:
        if entry.get("kind") == "embedding":
            raise PricingError(f"{where}: an embedding model needs 'limits'")
        return None
    if not isinstance(raw, dict):
        raise PricingError(f"{where}.limits must be a mapping")
    dims = raw.get("dimensions")
    if not isinstance(dims, list) or not dims:
        raise PricingError(f"{where}.limits.dimensions must be a non-empty list")
    return EmbeddingLimits(
        dimensions=tuple(sorted(_positive_int(d, f"{where}.limits.dimensions") for d in dims)),
        max_input_chars=_positive_int(
            raw.get("max_input_chars"), f"{where}.limits.max_input_chars"
        ),
        max_inputs=_positive_int(raw.get("max_inputs"), f"{where}.limits.max_inputs"),
        max_total_chars=_positive_int(
            raw.get("max_total_chars"), f"{where}.limits.max_total_chars"
        ),
    )


def parse_pricing(raw: Any) -> PricingTable:
    if not isinstance(raw, dict) or not isinstance(raw.get("models"), list):
        raise PricingError("pricing file must be a mapping with a 'models' list")
    models: dict[str, ModelPrice] = {}
    for i, entry in enumerate(raw["models"]):
        where = f"models[{i}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            raise PricingError(f"{where}: needs an 'id' string")
        kind = entry.get("kind", "chat")
        if kind not in KINDS:
            raise PricingError(f"{where}: kind must be one of {KINDS}, got {kind!r}")
        if entry["id"] in models:
            raise PricingError(f"{where}: duplicate model id {entry['id']!r}")
        price = ModelPrice(
            id=entry["id"],
            kind=kind,
            bedrock_id=str(entry.get("bedrock_id") or entry["id"]),
            input=_price(entry, where, "input"),
            output=_price(entry, where, "output"),
            cache_read=_price(entry, where, "cache_read"),
            cache_write=_price(entry, where, "cache_write"),
            limits=_limits(entry, where),
            source=str(entry.get("source") or raw.get("source", "")),
            retrieved=str(entry.get("retrieved") or raw.get("retrieved", "")),
        )
        models[price.id] = price
        aliases = entry.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            raise PricingError(f"{where}: aliases must be a list of model ids")
        for alias in aliases:
            if alias in models:
                raise PricingError(f"{where}: duplicate model id {alias!r} (alias)")
            # An alias is a full entry, so every lookup, price and metric label works unchanged.
            models[alias] = replace(price, id=alias, alias_of=price.id)
    if not models:
        raise PricingError("pricing file lists no models")
    per_tokens = raw.get("per_tokens", 1_000_000)
    if not isinstance(per_tokens, int) or per_tokens <= 0:
        raise PricingError(f"per_tokens must be a positive integer, got {per_tokens!r}")
    return PricingTable(
        models=models,
        source=str(raw.get("source", "")),
        retrieved=str(raw.get("retrieved", "")),
        per_tokens=per_tokens,
    )


def load_pricing(path: Path) -> PricingTable:
    try:
        raw = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise PricingError(f"cannot read pricing file {path}: {exc}") from exc
    return parse_pricing(raw)
