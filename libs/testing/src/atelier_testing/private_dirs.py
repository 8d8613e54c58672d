"""Folders for servers that run as another user (PostgreSQL), outside pytest's temporary root.

Every pytest session that starts on the machine resets that root to owner-only, cutting such a
server off from its data mid-run; a folder of our own under the system temporary directory is
left alone.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def private_directory(prefix: str = "atelier-test-") -> Iterator[Path]:
    """A new folder, removed with everything in it when the block ends."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)
