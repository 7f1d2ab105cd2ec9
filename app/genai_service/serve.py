"""The HTTP server as the lab runs it: `python -m genai_service.serve [--host H] [--port P]`.

Uvicorn with limits a bare `uvicorn ...` command line does not set:
- the h11 parser with `h11_max_incomplete_event_size`: the request line and headers together
  are refused (400, connection closed) past MAX_HEADER_BYTES, before any of it reaches the app
  or is held in memory; the httptools parser has no such bound;
- at most MAX_HEADER_COUNT headers (HeaderLimitMiddleware answers 431 in the API's error shape);
- a graceful-shutdown timeout, so SIGTERM drains in-flight requests and then stops.
"""

from __future__ import annotations

import argparse
import os

import uvicorn

from genai_service.envvars import env_int

# Real clients send well under 8 KiB of headers (browsers ~1-2 KiB; nginx's default large
# buffer is 8 KiB, Node's limit 16 KiB).
MAX_HEADER_BYTES = 16_384
MAX_HEADER_COUNT = 100


def config(app: str, host: str, port: int) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        factory=True,
        host=host,
        port=port,
        http="h11",
        h11_max_incomplete_event_size=env_int(
            os.environ, "MAX_HEADER_BYTES", MAX_HEADER_BYTES, minimum=1024
        ),
        timeout_graceful_shutdown=10,
        server_header=False,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m genai_service.serve")
    parser.add_argument("--app", default="genai_service.main:create_app")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    args = parser.parse_args(argv)
    uvicorn.Server(config(args.app, args.host, args.port)).run()


if __name__ == "__main__":
    main()
