"""The pricing table: the shipped file is complete and sourced, costs add up, bad files fail."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from genai_service.pricing import PricingError, load_pricing, parse_pricing
from genai_service.providers.base import Usage
from genai_service.settings import DEFAULT_PRICING_PATH

pytestmark = pytest.mark.unit


def test_shipped_table_has_source_date_and_claude_models() -> None:
    table = load_pricing(DEFAULT_PRICING_PATH)
    assert table.source.startswith("https://aws.amazon.com/bedrock/pricing")
    assert table.retrieved
    chat = table.ids("chat")
    assert any(m.startswith("claude-") for m in chat)
    assert table.ids("embedding")
    for model in table.models.values():
        assert model.bedrock_id
        if model.kind == "chat":
            # Output costs more than input and cache reads are cheaper than fresh input.
            assert model.output > model.input > model.cache_read > 0
            assert model.cache_write > model.input


def test_cost_adds_each_token_kind_at_its_rate() -> None:
    table = parse_pricing(
        {
            "models": [
                {
                    "id": "m",
                    "input": 3.0,
                    "output": 15.0,
                    "cache_read": 0.3,
                    "cache_write": 3.75,
                }
            ]
        }
    )
    usage = Usage(
        input_tokens=1_000, output_tokens=500, cache_read_tokens=2_000, cache_write_tokens=100
    )
    expected = (1_000 * 3.0 + 500 * 15.0 + 2_000 * 0.3 + 100 * 3.75) / 1_000_000
    assert table.cost_usd("m", usage) == pytest.approx(expected)
    with pytest.raises(KeyError):
        table.cost_usd("unknown", usage)


@pytest.mark.parametrize(
    "raw",
    [
        None,
        {"models": []},
        {"models": [{"id": "m", "input": -1, "output": 1, "cache_read": 0, "cache_write": 0}]},
        {"models": [{"id": "m", "input": 1, "output": "x", "cache_read": 0, "cache_write": 0}]},
        {
            "models": [
                {
                    "id": "m",
                    "kind": "image",
                    "input": 1,
                    "output": 1,
                    "cache_read": 0,
                    "cache_write": 0,
                }
            ]
        },
        {"models": [{"input": 1}]},
    ],
)
def test_malformed_tables_are_refused(raw: object) -> None:
    with pytest.raises(PricingError):
        parse_pricing(raw)


def test_duplicate_ids_are_refused(tmp_path: Path) -> None:
    entry = {"id": "m", "input": 1, "output": 1, "cache_read": 0, "cache_write": 0}
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump({"models": [entry, entry]}))
    with pytest.raises(PricingError, match="duplicate"):
        load_pricing(path)


def test_current_models_have_a_source_and_date_and_old_ids_stay_as_aliases() -> None:
    table = load_pricing(DEFAULT_PRICING_PATH)
    for model in table.models.values():
        assert model.source.startswith("https://"), model.id
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", model.retrieved), model.id
    for current in ("claude-haiku-4-5", "claude-sonnet-4-6", "claude-opus-4-6"):
        assert table.models[current].alias_of is None
    # Ids the dashboards, docs and older clients use keep working, at their successor's price.
    for old, new in (
        ("claude-sonnet-4-5", "claude-sonnet-4-6"),
        ("claude-opus-4-5", "claude-opus-4-6"),
    ):
        alias = table.get(old)
        assert alias is not None and alias.alias_of == new
        assert alias.bedrock_id == table.models[new].bedrock_id
        usage = Usage(1000, 500, 100, 10)
        assert table.cost_usd(old, usage) == table.cost_usd(new, usage)
        assert old in table.ids("chat")


def test_an_alias_that_repeats_an_id_is_refused() -> None:
    entry = {"id": "a", "input": 1, "output": 2, "cache_read": 0.1, "cache_write": 1.2}
    with pytest.raises(PricingError, match="duplicate"):
        parse_pricing({"models": [{**entry, "aliases": ["b"]}, {**entry, "id": "b"}]})
    with pytest.raises(PricingError, match="aliases"):
        parse_pricing({"models": [{**entry, "aliases": "b"}]})
