"""`qa-web` / `python -m web`: serve the chat (building the seed index first if there is none)."""

from __future__ import annotations

import argparse
import sys

import uvicorn

from qa.cli import settings_from, settings_parser

from .app import create_app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="qa-web", description="Serve the News QA chat and JSON API.", parents=[settings_parser()]
    )
    settings = settings_from(parser.parse_args(argv))
    print(f"News QA: open http://{settings.host}:{settings.port}/ once the index is loaded", file=sys.stderr)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info")
    return 0


if __name__ == "__main__":
    sys.exit(main())
