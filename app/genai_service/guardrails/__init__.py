"""Guardrails: API keys, per-tenant rate limits and budgets, prompt-injection scoring, and the
security events they raise.

The modules here are pure (no I/O beyond reading a key file) so each guard is unit-tested on its
own; guard.py is the thin FastAPI layer that wires them into the service.
"""
