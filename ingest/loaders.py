"""Loaders: turn a file or a URL into a `SourceDocument`, or fail with a one-line reason.

The formats are read by `ingest.readers` (Markdown with front matter, HTML, PDF, Word, plain text); URLs are
downloaded by `ingest.fetch`. This module finds documents in a folder — and says why every other file there
was skipped — and gives each its id. Every failure is a `LoadError` whose `str()` is the reason shown to
the maintainer.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from bot import prompts
from bot.types import SourceDocument
from ingest.readers import READERS, LoadError, reader_for, skip_reason

DOCUMENT_SUFFIXES = set(READERS)
SKIPPED_NAMES = {"readme.md": "the folder's README, not guidance"}


@dataclass
class Skipped:
    path: Path
    reason: str


# --------------------------------------------------------------------------------------------
# ids and discovery
# --------------------------------------------------------------------------------------------
def is_url(target: str) -> bool:
    return target.startswith(("http://", "https://"))


def abspath(path: str | os.PathLike) -> str:
    """Absolute, normalised, symlinks not resolved (the same on both sides of every comparison)."""
    return os.path.normpath(os.path.abspath(os.fspath(path)))


def doc_id_for_path(path: str | os.PathLike) -> str:
    """The path relative to the current working directory when it lies inside it, else the absolute path."""
    full = abspath(path)
    cwd = abspath(os.getcwd())
    if full == cwd or full.startswith(cwd.rstrip(os.sep) + os.sep):
        return Path(os.path.relpath(full, cwd)).as_posix()
    return full


def is_document_file(path: Path) -> bool:
    return path.suffix.lower() in DOCUMENT_SUFFIXES and path.name.lower() not in SKIPPED_NAMES


def discover_with_skips(root: Path) -> tuple[list[Path], list[Skipped]]:
    """(document files under a directory, recursively and sorted; every other file with why it is skipped).
    A hidden folder (.git) is skipped as one entry; hidden files are listed."""
    found: list[Path] = []
    skipped: list[Skipped] = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in sorted(d for d in dirnames if d.startswith(".")):
            skipped.append(Skipped(Path(dirpath) / name, "hidden folder"))
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if name.startswith("."):
                skipped.append(Skipped(path, "hidden file"))
            elif name.lower() in SKIPPED_NAMES:
                skipped.append(Skipped(path, SKIPPED_NAMES[name.lower()]))
            elif is_document_file(path):
                found.append(path)
            else:
                skipped.append(Skipped(path, skip_reason(path.suffix)))
    return found, skipped


def discover(root: Path) -> list[Path]:
    """Document files under a directory, recursively and sorted; hidden entries, README.md and YAML skipped."""
    return discover_with_skips(root)[0]


# --------------------------------------------------------------------------------------------
# local files
# --------------------------------------------------------------------------------------------
def read_file_bytes(path: str | os.PathLike) -> bytes:
    """The raw bytes of a local document (LoadError when unreadable or of an unsupported type)."""
    path = Path(path)
    if reader_for(path.suffix) is None:
        raise LoadError(skip_reason(path.suffix))
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise LoadError("no such file") from None
    except IsADirectoryError:
        raise LoadError("is a directory") from None
    except OSError as exc:
        raise LoadError(f"cannot read: {exc.strerror or exc}") from None


def load_bytes(path: str | os.PathLike, data: bytes) -> SourceDocument:
    """A local document from bytes already read from `path`."""
    path = Path(path)
    reader = reader_for(path.suffix)
    if reader is None:
        raise LoadError(skip_reason(path.suffix))
    if not data.strip():
        raise LoadError(prompts.INGEST_EMPTY_DOCUMENT)
    document = reader(data, doc_id_for_path(path))
    # `source` is where the file lives, absolute, so an ingest run from another working directory still
    # recognises (and replaces) what an earlier run indexed from the same place
    return document.model_copy(update={"source": abspath(path)})


def load_file(path: str | os.PathLike) -> SourceDocument:
    """Read one local document. Raises LoadError with the reason."""
    return load_bytes(path, read_file_bytes(path))
