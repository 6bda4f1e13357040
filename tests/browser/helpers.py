"""Shared by the browser tests: paths, Chromium's flags, and small helpers."""

from __future__ import annotations

import json
import shutil
import socket
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "build" / "browser"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Chromium's own background traffic is switched off: the tests prove the pages need no network.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run"]


def notebooks() -> list[Path]:
    return sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def slide_types(notebook: Path) -> list[str]:
    return [c["metadata"]["slideshow"]["slide_type"] for c in json.loads(notebook.read_text())["cells"]]


def block_network(page, allowed: tuple[str, ...]) -> list[str]:
    """Abort every request outside `allowed` prefixes; return the list of aborted URLs."""
    refused: list[str] = []

    def route(route):
        if route.request.url.startswith(allowed):
            route.fallback()
        else:
            refused.append(route.request.url)
            route.abort()

    page.route("**/*", route)
    return refused


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
