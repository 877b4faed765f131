"""Staging folders: where kg writes files before moving them into place.

A run that replaces files in a folder (a build's exports and cache, the store beside it, a
site, ``kg export``'s file) first writes them into a folder of its own inside it,
``.kg-staging/<random>/``, on the same file system, so each file then moves into place with
one atomic rename. The run holds its folder locked (``flock``) as long as it lives; the
kernel drops the lock of a process that dies, even by SIGKILL. So whatever a killed run
left (half-written exports, sort runs, a half-loaded store) sits in a folder that the next
run staging in the same place recognises and removes, and a run never removes the folder
of a run that is still alive: two runs at once leave each other alone.

Files are created with plain ``open()`` (never ``mkstemp``, which makes them 0600), so what
moves into place has the mode the user's umask gives any new file.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import shutil
import tempfile
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from types import TracebackType
from typing import cast

STAGING_FOLDER = ".kg-staging"
"""In any folder kg writes into: the staging folders of the runs writing there."""

_HELD: set[int] = set()
"""Descriptors of the staging folders this process holds locked."""


def _release_in_child() -> None:
    """A forked child does not keep its parent's staging folders alive after the parent dies
    (a lock belongs to every process sharing the descriptor)."""
    for descriptor in _HELD:
        with suppress(OSError):
            os.close(descriptor)
    _HELD.clear()


os.register_at_fork(after_in_child=_release_in_child)


class Staging:
    """A staging folder of this run inside ``root`` (which must exist), locked while open.

    Opening it first removes the staging folders in ``root`` that no live run holds.
    Closing it removes it, with whatever is still in it, and ``.kg-staging`` too when no
    other run stages there.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._area = root / STAGING_FOLDER
        self._path: Path | None = None
        self._lock: int | None = None

    @property
    def path(self) -> Path:
        """This run's folder."""
        if self._path is None:
            raise RuntimeError("the staging folder is not open")
        return self._path

    def open(self) -> Staging:
        remove_leftovers(self.root)
        while self._path is None:
            try:
                self._area.mkdir(exist_ok=True)
                path = Path(tempfile.mkdtemp(dir=self._area, prefix="run-"))
            except FileNotFoundError:  # another run removed the empty area meanwhile
                continue
            descriptor = _locked(path)
            if descriptor is None:  # another run took it for a leftover: take another
                continue
            self._path, self._lock = path, descriptor
            _HELD.add(descriptor)
        return self

    def close(self) -> None:
        """Remove this run's folder and what it still holds; then the area, if empty."""
        if self._path is None or self._lock is None:
            return
        shutil.rmtree(self._path, ignore_errors=True)
        _HELD.discard(self._lock)
        os.close(self._lock)
        self._path = self._lock = None
        with suppress(OSError):  # another run stages here too
            self._area.rmdir()

    def __enter__(self) -> Staging:
        return self.open()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def remove_leftovers(root: Path) -> list[Path]:
    """Remove the staging folders in ``root`` that no live run holds (left by runs that
    were killed); returns them."""
    area = root / STAGING_FOLDER
    try:
        entries = sorted(area.iterdir())
    except OSError:
        return []
    removed = []
    for entry in entries:
        descriptor = _locked(entry)
        if descriptor is None:
            if not entry.is_dir() or entry.is_symlink():
                entry.unlink(missing_ok=True)  # kg makes only folders here
                removed.append(entry)
            continue
        try:
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
        finally:
            os.close(descriptor)
    with suppress(OSError):
        area.rmdir()
    return removed


def _locked(folder: Path) -> int | None:
    """A descriptor of ``folder`` holding its lock, or None when another process holds it,
    or ``folder`` is gone (or is no longer the folder that was locked)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if os.stat(folder, follow_symlinks=False).st_ino == os.fstat(descriptor).st_ino:
            return descriptor
    except OSError:
        pass
    os.close(descriptor)
    return None


def exchange(new: Path, live: Path) -> None:
    """Swap the folders ``new`` and ``live`` (same file system) in one atomic step, so
    ``live`` always holds one whole folder or the other (Linux's ``renameat2`` with
    ``RENAME_EXCHANGE``; Python has no binding for it). Where the system or the file system
    cannot, ``live`` moves aside and ``new`` takes its place: for a moment there is none."""
    if _RENAMEAT2 is not None:
        if _RENAMEAT2(_AT_FDCWD, os.fsencode(new), _AT_FDCWD, os.fsencode(live), _EXCHANGE) == 0:
            return
        code = ctypes.get_errno()
        if code not in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
            raise OSError(code, os.strerror(code), str(live))
    parked = new.with_name(f"{new.name}.previous")
    os.rename(live, parked)
    os.rename(new, live)
    os.rename(parked, new)


def _renameat2() -> Callable[[int, bytes, int, bytes, int], int] | None:
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return None
    folder, name = ctypes.c_int, ctypes.c_char_p
    function.argtypes = [folder, name, folder, name, ctypes.c_uint]
    function.restype = ctypes.c_int
    return cast(Callable[[int, bytes, int, bytes, int], int], function)


_RENAMEAT2 = _renameat2()
_AT_FDCWD = -100
_EXCHANGE = 2


def new_mode(directory: bool = False) -> int:
    """The mode the user's umask gives a new file (or folder), as plain ``open()`` (or
    ``mkdir``) would create it: for files made by other code (SQLite, RocksDB)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return (0o777 if directory else 0o666) & ~mask
