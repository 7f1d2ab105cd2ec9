"""Summarisers: a deterministic one that reasons over the gathered context, and Bedrock Claude."""
