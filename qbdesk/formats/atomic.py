"""Atomic, durable file writes: a crash or a pulled USB stick leaves the old file or the new, never half.

One implementation for every file qbdesk writes (keys, score files,
snapshots, the reviewer's workspace): temp file in the same folder, fsync,
rename, fsync the folder.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def fsync_dir(directory: Path) -> None:
    """Make a rename durable (POSIX only; Windows has no directory handles).

    Some file systems (vfat USB sticks on some kernels) refuse to sync a
    directory; the file itself was synced, so that is not an error.
    """
    if os.name != "posix":
        return
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(target: Path, data: bytes, *, mode: int | None = None, read_back: bool = False) -> None:
    """Write ``data`` to ``target`` atomically; raises ``OSError`` (or ``ValueError`` if read back differs).

    The temp file is created 0600 (``mkstemp``), so a secret is never readable
    by others, not even for a moment; ``mode`` relaxes it for public content.
    """
    target = Path(target)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        if mode is not None:
            try:
                os.chmod(tmp, mode)
            except OSError:
                pass  # vfat refuses mode changes; nothing to protect there
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(target.parent)
    if read_back and target.read_bytes() != data:
        raise ValueError("the bytes read back differ from those written")
