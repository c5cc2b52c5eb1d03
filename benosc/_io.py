"""Atomic file writes: write to a temporary file in the target folder, then rename.

A reader never sees a half-written file, and an interrupted write leaves at
most a stray ``.tmp-*`` file, never a truncated result.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import tempfile
from pathlib import Path
from typing import IO, Any, Iterator

__all__ = ["atomic_open", "write_json", "write_text", "json_clean", "save_figure"]


@contextlib.contextmanager
def atomic_open(path: str | Path, mode: str = "wb") -> Iterator[IO[Any]]:
    """Open a temporary sibling of ``path`` for writing; rename onto ``path`` on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".tmp-{path.name}-", dir=path.parent)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 would make results private
    try:
        with os.fdopen(fd, mode) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_text(path: str | Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_open(path, "w") as fh:
        fh.write(text)


def write_json(path: str | Path, obj: Any) -> None:
    """Write ``obj`` as indented JSON to ``path`` atomically."""
    write_text(path, json.dumps(obj, indent=2, sort_keys=False) + "\n")


def json_clean(obj: Any) -> Any:
    """Plain JSON data: NaN / inf -> None, numpy scalars and arrays -> Python numbers and lists."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: json_clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_clean(v) for v in obj]
    if hasattr(obj, "item") and getattr(obj, "ndim", 1) == 0:
        return json_clean(obj.item())
    if hasattr(obj, "tolist"):
        return json_clean(obj.tolist())
    return obj


def save_figure(fig: Any, path: str | Path, *, dpi: int = 200) -> Path:
    """Render a matplotlib Figure (PNG, or the format of ``path``'s suffix: pdf, svg) and write it atomically.

    No pyplot: the Figure is not registered anywhere and needs no closing.
    Most callers want :func:`benosc.figstyle.save` (PNG and PDF in the house style).
    """
    buf = io.BytesIO()
    fmt = Path(path).suffix.lstrip(".").lower() or "png"
    fig.savefig(buf, format=fmt, dpi=dpi, bbox_inches="tight")
    with atomic_open(path, "wb") as fh:
        fh.write(buf.getvalue())
    return Path(path)
