"""The prompt orchestrator: templates, redaction and the response cache between API and model."""
