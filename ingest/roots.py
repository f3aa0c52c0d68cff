"""What a run reads and how far its deletions may reach: the run's roots and the sources found under them.

A root is a folder, a file or a URL. The default run (no targets) has the knowledge folder plus the URLs of
its `sources.yaml`, and, for deletion only, the URLs an earlier default run listed that have since been
removed from it (recorded in the data dir). A target that does not exist is a failure, never a deletion.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from bot import prompts
from bot.settings import Settings
from ingest.fetch import load_targets_file
from ingest.loaders import abspath, discover_with_skips, doc_id_for_path, is_url
from ingest.readers import LoadError
from ingest.summary import Failure, SkippedFile

log = logging.getLogger(__name__)

SOURCES_FILE = "sources.yaml"
DEFAULT_URLS_RECORD = "default_sources.json"


@dataclass
class Root:
    kind: str  # "dir" | "file" | "url"
    target: str  # absolute path or URL
    fetch: bool = True  # False: a URL a previous default run listed (deletion scope only)

    def covers(self, source: str) -> bool:
        if self.kind == "url":
            return source == self.target
        if not source or is_url(source):
            return False
        path = abspath(source)
        if self.kind == "file":
            return path == self.target
        return path.startswith(self.target.rstrip(os.sep) + os.sep)


@dataclass
class RunPlan:
    roots: list[Root] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    default_urls: list[str] | None = None  # set on a default run whose sources.yaml was read

    def covers(self, source: str) -> bool:
        """The run may delete what it indexed from `source`."""
        return any(root.covers(source) for root in self.roots)

    def sources(self) -> tuple[list[tuple[str, str]], list[SkippedFile]]:
        """What the roots hold now: (kind, path-or-url) in order, and the files skipped as not documents."""
        sources: list[tuple[str, str]] = []
        skips: list[SkippedFile] = []
        for root in self.roots:
            if root.kind == "dir":
                found, skipped = discover_with_skips(Path(root.target))
                sources.extend(("file", str(p)) for p in found)
                skips.extend(SkippedFile(source=doc_id_for_path(s.path), reason=s.reason) for s in skipped)
            elif root.kind == "file":
                sources.append(("file", root.target))
            elif root.fetch:
                sources.append(("url", root.target))
        return sources, skips


def plan_run(settings: Settings, targets: list[str] | None) -> RunPlan:
    """The roots of a run over `targets` (paths and URLs), or of the default run when there are none."""
    if not targets:
        return _default_plan(settings)
    plan = RunPlan()
    for target in dict.fromkeys(t.strip() for t in targets if t and t.strip()):
        if is_url(target):
            plan.roots.append(Root("url", target))
            continue
        path = Path(target).expanduser()
        if path.is_dir():
            plan.roots.append(Root("dir", abspath(path)))
        elif path.is_file():
            plan.roots.append(Root("file", abspath(path)))
        else:
            # a missing root is a failure, never a deletion: an unmounted folder must not empty the index
            plan.failures.append(Failure(source=target, reason=prompts.INGEST_TARGET_MISSING))
    return plan


def _default_plan(settings: Settings) -> RunPlan:
    plan = RunPlan()
    knowledge = settings.knowledge_dir
    if knowledge.is_dir():
        plan.roots.append(Root("dir", abspath(knowledge)))
    else:
        plan.failures.append(Failure(source=str(knowledge), reason=prompts.INGEST_KNOWLEDGE_DIR_MISSING))
    sources_file = knowledge / SOURCES_FILE
    try:
        urls = load_targets_file(sources_file)
    except LoadError as exc:
        plan.failures.append(Failure(source=doc_id_for_path(sources_file), reason=str(exc)))
    else:
        plan.default_urls = urls
        plan.roots.extend(Root("url", url) for url in urls)
        for url in read_default_urls(settings):
            if url not in urls:
                plan.roots.append(Root("url", url, fetch=False))
    return plan


def _default_urls_record(settings: Settings) -> Path:
    return settings.data_dir / "ingest" / DEFAULT_URLS_RECORD


def read_default_urls(settings: Settings) -> list[str]:
    """The URLs the last default run listed (empty when there is no readable record)."""
    try:
        data = json.loads(_default_urls_record(settings).read_text())
        return [u for u in data.get("urls", []) if isinstance(u, str)]
    except (OSError, ValueError, AttributeError):
        return []


def write_default_urls(settings: Settings, urls: list[str]) -> None:
    path = _default_urls_record(settings)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"urls": urls}, indent=1))
        tmp.replace(path)
    except OSError as exc:
        log.warning("could not record the default source URLs: %s", exc)
