"""Capture every log line (ours in powertools' JSON, and every library's) into one string.

powertools' Logger writes to the stream it found at import, which pytest's capture fixtures
may not see depending on test order: a handler of our own sees every record, always.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from chalicelib.observability import logger


@contextmanager
def captured_logs(level: int = logging.DEBUG) -> Iterator[io.StringIO]:
    """Every record at ``level`` and above while the block runs, formatted as JSON lines."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.registered_formatter)
    handler.setLevel(level)
    watched = [logging.getLogger(), logging.getLogger(logger.name)]
    levels = [w.level for w in watched]
    for w in watched:
        w.addHandler(handler)
        w.setLevel(level)
    try:
        yield stream
    finally:
        for w, old in zip(watched, levels, strict=True):
            w.removeHandler(handler)
            w.setLevel(old)
