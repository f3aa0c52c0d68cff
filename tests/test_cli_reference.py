"""The README's command reference is what `gpbot --help` prints (bot/cli_docs.py generates it)."""

from __future__ import annotations

import pytest

from bot import cli_docs


def test_the_readme_command_reference_is_the_generated_one():
    section = cli_docs.readme_section(cli_docs.README.read_text(encoding="utf-8"))
    assert section == cli_docs.reference(), (
        f"README.md's command reference differs from the commands' --help: run `{cli_docs.FIX_COMMAND}`")


def test_every_command_and_subcommand_is_in_the_reference():
    reference = cli_docs.reference()
    for line in ("gpbot run", "gpbot ingest", "gpbot sources check", "gpbot review verified", "gpbot embedder info"):
        assert f"#### `{line}`\n" in reference, line
    assert "reindex" in reference and "--failures" in reference and "--dry-run" in reference
    assert "\x1b[" not in reference and "╭" not in reference  # no colour, no rich panels


def test_the_reference_does_not_depend_on_the_terminal(monkeypatch):
    first = cli_docs.reference()
    monkeypatch.setenv("COLUMNS", "40")
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert cli_docs.reference() == first


def test_check_fails_on_a_stale_section_and_the_fix_command_repairs_it(tmp_path, monkeypatch, capsys):
    readme = tmp_path / "README.md"
    current = cli_docs.README.read_text(encoding="utf-8")
    readme.write_text(current.replace(cli_docs.END, "a line edited by hand\n" + cli_docs.END), encoding="utf-8")
    monkeypatch.setattr(cli_docs, "README", readme)
    assert cli_docs.main(["--check"]) == 1
    assert cli_docs.FIX_COMMAND in capsys.readouterr().err
    assert cli_docs.main([]) == 0
    assert cli_docs.main(["--check"]) == 0
    assert readme.read_text(encoding="utf-8") == current


def test_a_readme_without_the_markers_is_an_error():
    with pytest.raises(ValueError):
        cli_docs.readme_section("# a README with no reference section\n")
