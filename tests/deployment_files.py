"""Reading the deployment files for tests/test_deployment*.py: the Dockerfile's instructions and stages, the
environment variables it documents, and the Settings fields they must be."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DOCKERFILE = REPO / "Dockerfile"
COMPOSE = REPO / "docker-compose.yml"

# Environment variables the image sets for libraries and the interpreter: not gpbot settings.
PROCESS_ENV = {
    "PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE", "VIRTUAL_ENV", "PATH", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE",
    "HF_HUB_DISABLE_PROGRESS_BARS", "ANONYMIZED_TELEMETRY", "TOKENIZERS_PARALLELISM", "PIP_NO_CACHE_DIR",
    "PIP_DISABLE_PIP_VERSION_CHECK",
}


# ------------------------------------------------------------------ parsing the Dockerfile
def instructions(text: str) -> list[tuple[str, str, int]]:
    """(INSTRUCTION, arguments, line) with continuation lines joined and comments dropped."""
    out: list[tuple[str, str, int]] = []
    buffer, start = "", 0
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not buffer and (not stripped or stripped.startswith("#")):
            continue
        if buffer and stripped.startswith("#"):
            continue  # a comment inside a continued instruction
        if not buffer:
            start = number
        if stripped.endswith("\\"):
            buffer += stripped[:-1] + " "
            continue
        buffer += stripped
        word, _, rest = buffer.partition(" ")
        out.append((word.upper(), rest.strip(), start))
        buffer = ""
    return out


def stages(text: str) -> list[list[tuple[str, str, int]]]:
    result: list[list[tuple[str, str, int]]] = []
    for item in instructions(text):
        if item[0] == "FROM":
            result.append([])
        if result:
            result[-1].append(item)
    return result


def env_names(args: str) -> list[str]:
    return [part.split("=", 1)[0] for part in shlex.split(args) if "=" in part]


def documented_settings(text: str) -> set[str]:
    """Names documented in the '---- configuration' comment block: `#   NAME[ / NAME2]   description`."""
    block = text.split("# ---- configuration", 1)[1].split("\nENV ", 1)[0]
    names: set[str] = set()
    for line in block.splitlines():
        match = re.match(r"^#\s{2,}([A-Z][A-Z0-9_]+(?:\s*/\s*[A-Z][A-Z0-9_]+)*)\s{2,}\S", line)
        if match:
            names.update(n.strip() for n in match.group(1).split("/"))
    return names


def settings_fields() -> set[str]:
    from bot.settings import flat_field_names

    return {name.upper() for name in flat_field_names()}

