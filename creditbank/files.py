"""Files in the instance folder are the owner's alone: folders 0700, files 0600.

The folder holds the database, its WAL, the key files and whatever the demo writes; none of it is for other
accounts on the machine. Modes are given when a file or folder is created rather than by changing the process
umask, which would also reach files written elsewhere (a PDF an operator asked for, a backup in a shared folder).
A folder or file found with group or other bits is tightened, since an instance created by an earlier release
(or by hand) should not stay readable.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

FOLDER_MODE = 0o700
FILE_MODE = 0o600


def private_folder(path: str | Path) -> Path:
    """``path`` as a folder only its owner can enter, created (with any missing parents) if need be."""
    folder = Path(path)
    folder.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    tighten(folder)
    return folder


def tighten(path: Path) -> None:
    """Drop group and other permissions from a file or folder this process owns; leave anything else alone."""
    try:
        status = path.stat()
    except FileNotFoundError:
        return
    if status.st_mode & 0o077 and status.st_uid == os.geteuid():
        path.chmod(stat.S_IMODE(status.st_mode) & ~0o077)


def write_private(path: Path, data: bytes, *, replace: bool = False) -> None:
    """Write a file readable by its owner alone, its folder made private first.

    The content goes to a temporary file first and appears under ``path`` complete or not at all, so another process
    never reads half a key. Without ``replace`` an existing ``path`` is an error (``FileExistsError``), also when
    another process creates it meanwhile; with it the new file takes the old one's place.
    """
    private_folder(path.parent)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.partial")
    temporary.unlink(missing_ok=True)
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if replace:
            os.replace(temporary, path)
        else:
            # A hard link, unlike a rename, refuses to take a name that exists.
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
