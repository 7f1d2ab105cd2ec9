"""The HTTP edge: OpenAI-compatible routes, admin routes, errors and middleware."""
