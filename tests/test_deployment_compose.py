"""docker-compose.yml, checked without a Docker engine: the four services, two bot replicas in HTTP mode,
CHROMA_HOST and DATABASE_URL pointing at the compose services, the one-shot ingest the bots wait for, state in
named volumes; and the hazard log and SECURITY.md cite only tests that exist.
"""

from __future__ import annotations

import json
import re
import shlex
from urllib.parse import urlsplit

import pytest
import yaml
from deployment_files import COMPOSE, REPO

# ------------------------------------------------------------------ docker-compose.yml
def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's variable substitution: ${VAR}, ${VAR:-default}, ${VAR:?error} (an unset :? var fails)."""

    def value(match: re.Match) -> str:
        name, op, arg = match.group(1), match.group(2), match.group(3)
        if env.get(name):
            return env[name]
        if op == ":-":
            return arg or ""
        if op == ":?":
            raise AssertionError(f"compose needs {name}: {arg}")
        return ""

    return re.sub(r"\$\{(\w+)(?:(:[-?])([^}]*))?\}", value, text)


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(interpolate(COMPOSE.read_text(), {"POSTGRES_PASSWORD": "test-password"}))


def test_compose_refuses_to_start_without_a_database_password():
    with pytest.raises(AssertionError, match="POSTGRES_PASSWORD"):
        interpolate(COMPOSE.read_text(), {})


def _command(service: dict) -> list[str]:
    command = service.get("command", [])
    return shlex.split(command) if isinstance(command, str) else list(command)


def test_compose_has_the_four_services(compose):
    assert {"bot", "chroma", "postgres", "ingest"} <= set(compose["services"])


def test_compose_runs_two_bot_replicas_in_http_mode(compose):
    bot = compose["services"]["bot"]
    assert bot["deploy"]["replicas"] == 2
    command = _command(bot)
    assert command[:2] == ["serve", "--http"], command
    port = command[command.index("--port") + 1]
    assert any(str(p).endswith(f":{port}") for p in bot.get("ports", [])), bot.get("ports")
    assert bot.get("build") and (bot["build"] == "." or bot["build"].get("context") == ".")
    assert bot.get("env_file") in (".env", [".env"]) or ".env" in json.dumps(bot.get("env_file"))


def test_compose_points_chroma_host_and_database_url_at_its_services(compose):
    services = compose["services"]
    for name in ("bot", "ingest"):
        env = services[name]["environment"]
        assert env["CHROMA_HOST"] == "chroma"
        chroma_cmd = _command(services["chroma"])
        assert str(env["CHROMA_PORT"]) == chroma_cmd[chroma_cmd.index("--port") + 1]
        url = urlsplit(env["DATABASE_URL"])
        assert url.scheme == "postgresql+psycopg" and url.hostname == "postgres" and url.port == 5432
        assert url.path.lstrip("/") == services["postgres"]["environment"]["POSTGRES_DB"]
        assert url.username == services["postgres"]["environment"]["POSTGRES_USER"]
        from bot.settings import Settings

        Settings(_env_file=None, **{k.lower(): v for k, v in env.items()})  # every value is a valid setting


def test_compose_chroma_and_postgres_images(compose):
    services = compose["services"]
    chroma = services["chroma"]
    assert chroma["image"].startswith("chromadb/chroma")
    assert "run" in _command(chroma) and "--host" in _command(chroma)
    pinned = re.search(r"^chromadb==(\S+)$", (REPO / "requirements.txt").read_text(), re.M).group(1)
    assert chroma["image"].split(":")[1] == pinned, "the Chroma server and client versions differ"
    assert services["postgres"]["image"].split(":")[1].startswith("15")
    assert services["postgres"]["healthcheck"]["test"]


def test_compose_ingest_is_a_one_shot_the_bots_wait_for(compose):
    services = compose["services"]
    ingest = services["ingest"]
    command = _command(ingest)
    assert command[0] == "ingest"
    # the local corpus only: the sources.yaml URLs may be unreachable, and ingest then exits 1
    assert command[1:] == ["knowledge"], command
    assert ingest.get("restart") == "no"
    depends = services["bot"]["depends_on"]
    assert depends["ingest"]["condition"] == "service_completed_successfully"
    assert depends["postgres"]["condition"] == "service_healthy"
    assert depends["chroma"]["condition"] in ("service_healthy", "service_started")
    assert (REPO / "knowledge").is_dir()


def test_compose_keeps_state_in_named_volumes(compose):
    services = compose["services"]
    declared = set(compose.get("volumes") or {})
    for name in ("chroma", "postgres"):
        mounts = [str(v).split(":")[0] for v in services[name].get("volumes", [])]
        assert mounts and set(mounts) <= declared, (name, mounts)


# ------------------------------------------------------------------ the hazard log and SECURITY.md
def test_the_hazard_log_cites_only_tests_that_exist():
    cited: set[str] = set()
    for doc in (REPO / "docs" / "clinical-safety.md", REPO / "SECURITY.md"):
        cited |= set(re.findall(r"(tests/[\w/]+\.py(?:::[\w]+(?:\[[^\]]+\])?)?)", doc.read_text()))
    assert len(cited) >= 20, "the hazard log should cite the tests that show its controls work"
    for ref in sorted(cited):
        path, _, rest = ref.partition("::")
        source = (REPO / path)
        assert source.is_file(), f"{ref}: no such file"
        if not rest:
            continue
        name, _, param = rest.partition("[")
        text = source.read_text()
        assert re.search(rf"^(?:    )?def {name}\(", text, re.M), f"{ref}: no such test"
        if param:
            assert f'"{param.rstrip("]")}"' in text, f"{ref}: no such parameter"
