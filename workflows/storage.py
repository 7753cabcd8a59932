"""The file store: bytes kept outside the database, in a folder, under their SHA-256.

Files are written once and never changed: the name is the content's hash, so two processes that
store the same bytes write the same file, and a file is published with one atomic rename (safe on
a folder that several web processes and workers share, such as an NFS mount).  A transaction that
rolls back after storing leaves an unreferenced file behind; it is harmless and is never served,
because every read goes through a database row that names the hash.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from pathlib import Path

_HASH = re.compile(r"^[0-9a-f]{64}$")


class StoredFileMissing(LookupError):
    """A row names a file that is not in the store (the folder was not shared or was damaged)."""


class FileStore:
    """Content-addressed files under ``root`` (``root/ab/cd/abcd…``)."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def put(self, content: bytes) -> str:
        """Store ``content`` (if it is not stored yet) and return its SHA-256."""
        digest = hashlib.sha256(content).hexdigest()
        path = self.path(digest)
        if path.exists():
            return digest
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.parent / f".{digest}.{secrets.token_hex(6)}"
        with open(draft, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(draft, path)
        return digest

    def read(self, digest: str) -> bytes:
        """The stored bytes of ``digest``; StoredFileMissing when they are not there."""
        try:
            return self.path(digest).read_bytes()
        except FileNotFoundError as exc:
            raise StoredFileMissing(f"file {digest} is missing from {self.root}") from exc

    def path(self, digest: str) -> Path:
        """Where the file of ``digest`` lives."""
        if not _HASH.fullmatch(digest):
            raise ValueError(f"not a SHA-256 in hex: {digest!r}")
        return self.root / digest[:2] / digest[2:4] / digest
