"""Progress bars for an ingest run (rich, on stderr; silent when disabled or a step has nothing to do)."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Callable, Iterator


class ProgressBars:
    def __init__(self, enabled: bool):
        self._progress = None
        if enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )

    @contextmanager
    def task(self, description: str, total: int) -> Iterator[Callable[..., Any]]:
        """A bar for one step; yields `advance(n=1)`."""
        if self._progress is None or total == 0:
            yield lambda n=1: None
            return
        task_id = self._progress.add_task(description, total=total)
        try:
            yield lambda n=1: self._progress.advance(task_id, n)
        finally:
            self._progress.remove_task(task_id)

    def __enter__(self):
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, *exc):
        if self._progress is not None:
            self._progress.stop()
