"""An embeddings request checked against the model's real limits (pricing.yaml `limits`).

Without them one small request fans out into thousands of model calls and a response of
hundreds of megabytes (2,048 inputs at 4,096 dimensions). Each refusal is a 400 in the OpenAI
error shape naming the parameter and the limit.
"""

from __future__ import annotations

from collections.abc import Sequence

from genai_service.errors import APIError
from genai_service.pricing import EmbeddingLimits


def check_embedding_limits(
    limits: EmbeddingLimits, model: str, inputs: Sequence[str], dimensions: int | None
) -> None:
    if dimensions is not None and dimensions not in limits.dimensions:
        allowed = ", ".join(map(str, limits.dimensions))
        raise APIError(
            400,
            f"'dimensions' is {dimensions}; {model} supports {allowed}.",
            reason="embedding_dimensions",
            param="dimensions",
        )
    if len(inputs) > limits.max_inputs:
        raise APIError(
            400,
            f"'input' has {len(inputs)} items; {model} accepts at most {limits.max_inputs} "
            "per request.",
            reason="embedding_too_many_inputs",
            param="input",
        )
    for i, text in enumerate(inputs):
        if len(text) > limits.max_input_chars:
            raise APIError(
                400,
                f"'input[{i}]' has {len(text)} characters; {model} accepts at most "
                f"{limits.max_input_chars} per input.",
                reason="embedding_input_too_long",
                param="input",
            )
    total = sum(map(len, inputs))
    if total > limits.max_total_chars:
        raise APIError(
            400,
            f"'input' has {total} characters in all; {model} accepts at most "
            f"{limits.max_total_chars} per request.",
            reason="embedding_input_too_large",
            param="input",
        )
