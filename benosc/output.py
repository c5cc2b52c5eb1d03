"""Output folders committed all-or-nothing.

A command that writes an ``--out`` folder (simulate, verify, report, map)
writes everything into a staging folder beside it,
``.<name>.benosc-staging-<pid>``, and only when everything is written swaps
it into place (two renames in the same parent folder).  An interrupted or
failed command leaves the previous contents of ``--out`` untouched and
removes its staging folder; a reader never sees old and new files mixed
(e.g. figures of an earlier run beside a new trajectory).  A process killed
outright (``kill -9``) leaves its staging folder behind; the next command
writing the same ``--out`` removes it (its process id is no longer alive).

Because a commit replaces the whole folder, ``--out`` must be new, empty, or
a folder an earlier benosc command wrote (it holds the marker file
``.benosc-output``); anything else is refused before any work starts, as is
an ``--out`` that cannot be created or written.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from pathlib import Path
from typing import Iterator

__all__ = ["OutputError", "MARKER", "check_output_folder", "staged_output"]

#: file that marks a folder as written by benosc (so a later commit may replace it)
MARKER = ".benosc-output"


class OutputError(ValueError):
    """``--out`` cannot be used; ``str(err)`` is one line naming the folder and why."""


def check_output_folder(out: Path, *, replace: bool = True) -> None:
    """Refuse an ``--out`` that is a file, lies under a file, is not writable, or (``replace``) holds foreign files.

    ``replace=False`` is for a folder the command updates in place (a sweep
    store, which has its own commit protocol).
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OutputError(f"--out: {str(out)!r} exists and is not a folder")
    for parent in out.parents:
        if parent.exists():
            if not parent.is_dir():
                raise OutputError(f"--out: {str(out)!r} cannot be created: {str(parent)!r} is a file")
            if not os.access(parent, os.W_OK | os.X_OK):
                raise OutputError(f"--out: {str(out)!r} cannot be created: {str(parent)!r} is not writable")
            break
    if out.is_dir() and not os.access(out, os.W_OK | os.X_OK):
        raise OutputError(f"--out: {str(out)!r} is not writable")
    if replace and out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise OutputError(f"--out: {str(out)!r} is not empty and was not written by benosc (no {MARKER}); give a new or empty folder")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def _remove_stale(out: Path) -> None:
    """Staging and old folders beside ``out`` left by a process that was killed (kill -9) before it could clean up."""
    for pattern in (f".{out.name}.benosc-staging-*", f".{out.name}.benosc-old-*"):
        for p in out.parent.glob(pattern):
            pid = p.name.rsplit("-", 1)[-1]
            if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
                shutil.rmtree(p, ignore_errors=True)


@contextlib.contextmanager
def staged_output(out: str | Path, *, command: str = "") -> Iterator[Path]:
    """Yield a staging folder; on success replace ``out`` by it, on any exception (Ctrl-C included) remove it.

    The staging folder is created and test-written on entry, so an unusable
    ``--out`` fails before the command does any work.
    """
    out = Path(os.path.abspath(out))  # '.' and 'a/..' have a name and a parent to stage beside
    if not out.name:
        raise OutputError(f"--out: {str(out)!r} cannot be an output folder (it has no parent to stage beside)")
    check_output_folder(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale(out)
    stage = out.parent / f".{out.name}.benosc-staging-{os.getpid()}"
    shutil.rmtree(stage, ignore_errors=True)
    try:
        stage.mkdir()
        probe = stage / ".write-test"
        probe.write_text("ok", encoding="utf-8")
        probe.unlink()
    except OSError as exc:
        shutil.rmtree(stage, ignore_errors=True)
        raise OutputError(f"--out: {str(out)!r} cannot be written ({exc.strerror})") from None
    try:
        yield stage
        (stage / MARKER).write_text(json.dumps({"command": command, "written": time.strftime("%Y-%m-%dT%H:%M:%S%z")}) + "\n", encoding="utf-8")
        old = out.parent / f".{out.name}.benosc-old-{os.getpid()}"
        moved = False
        if out.exists():
            os.rename(out, old)
            moved = True
        try:
            os.rename(stage, out)
        except BaseException:
            if moved:  # put the previous contents back
                os.rename(old, out)
            raise
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
