"""The embedder: the ONNX export gives sentence-transformers' vectors, a missing or damaged export falls back
to torch with a warning, the index records which embedder made its vectors and an ingest after a change of
embedder re-embeds what is stored; `gpbot --help` loads none of the heavy libraries."""

from __future__ import annotations

import io
import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bot.index.embedder import (
    MANIFEST_FILE,
    ONNX_FILE,
    TOKENIZER_FILE,
    OnnxEmbedder,
    TorchEmbedder,
    default_onnx_dir,
    load_embedder,
    mean_pool_normalised,
    read_manifest,
)
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
TEXTS = [
    "online access to GP records",
    "Can the practice hide a letter before the patient sees it in the app?",
    # long enough to be cut at the model's 256-token limit, in a batch padded to it
    "Prospective access means a patient sees new entries in their record from the date it is switched on. " * 20,
    "x",
]


@pytest.fixture(scope="session")
def export_dir(tmp_path_factory) -> Path:
    """An intact export of the current recipe: the one `make install` wrote into the venv, else a fresh one
    (imports torch)."""
    from bot.index.embedder import packaged_model_path
    from bot.index.embedder_export import RECIPE, export_onnx

    installed = read_manifest(default_onnx_dir())
    if installed is not None and installed.get("recipe") == RECIPE:
        return default_onnx_dir()

    directory, exported = export_onnx(packaged_model_path(), tmp_path_factory.mktemp("onnx"))
    assert exported
    return directory


@pytest.fixture(scope="session")
def torch_embedder() -> TorchEmbedder:
    return TorchEmbedder()


def settings_for(tmp_path: Path, **overrides) -> Settings:
    return Settings(_env_file=None, gpbot_data_dir=tmp_path / "data", **overrides)


def test_onnx_vectors_match_sentence_transformers(export_dir, torch_embedder, tmp_path):
    onnx = load_embedder(settings_for(tmp_path, onnx_model_dir=export_dir))
    assert isinstance(onnx, OnnxEmbedder)
    batch = onnx.embed(TEXTS)
    one_by_one = np.stack([onnx.embed_query(t) for t in TEXTS])
    reference = torch_embedder.embed(TEXTS)
    assert batch.shape == (len(TEXTS), 384) and batch.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(batch, axis=1), 1.0, atol=1e-5)
    assert (batch * reference).sum(axis=1).min() >= 0.999
    assert (one_by_one * reference).sum(axis=1).min() >= 0.999  # padding in a batch changes nothing
    assert float(batch[0] @ batch[1]) < 0.9  # different texts stay apart


def test_mean_pooling_ignores_padding_and_normalises():
    tokens = np.array([[[1.0, 0.0], [3.0, 0.0], [100.0, 100.0]]], dtype=np.float32)
    mask = np.array([[1, 1, 0]])
    np.testing.assert_allclose(mean_pool_normalised(tokens, mask), [[1.0, 0.0]])


def test_export_is_skipped_when_intact_and_redone_when_damaged(export_dir, tmp_path):
    from bot.index.embedder import packaged_model_path
    from bot.index.embedder_export import export_onnx

    copy = tmp_path / "onnx"
    shutil.copytree(export_dir, copy)
    assert export_onnx(packaged_model_path(), copy) == (copy, False)
    manifest = json.loads((copy / MANIFEST_FILE).read_text())
    assert manifest["source_sha256"] and manifest["onnx_sha256"] and manifest["max_seq_length"] == 256

    with (copy / TOKENIZER_FILE).open("ab") as fh:
        fh.write(b" ")  # one byte more: the recorded hash no longer matches
    assert read_manifest(copy) is None


def test_start_up_trusts_an_untouched_file_and_hashes_a_changed_one(export_dir, tmp_path):
    from bot.index.embedder_export import export_onnx
    from bot.index.embedder import packaged_model_path

    copy = tmp_path / "onnx"
    shutil.copytree(export_dir, copy)
    assert export_onnx(packaged_model_path(), copy)[1] is False  # intact: only the size/mtime stamps refreshed
    tokenizer = copy / TOKENIZER_FILE
    stat = tokenizer.stat()
    data = bytearray(tokenizer.read_bytes())
    data[-2:] = b"  "  # same size; with the recorded mtime put back only a full check can notice
    tokenizer.write_bytes(bytes(data))
    os.utime(tokenizer, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert read_manifest(copy) is not None
    assert read_manifest(copy, full=True) is None
    os.utime(tokenizer)  # touched now: the stamp differs, so start-up hashes it and refuses it
    assert read_manifest(copy) is None


def test_missing_export_falls_back_to_torch_with_a_warning_naming_the_command(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="bot.index.embedder"):
        embedder = load_embedder(settings_for(tmp_path, onnx_model_dir=tmp_path / "nowhere"))
    assert isinstance(embedder, TorchEmbedder)
    assert "gpbot embedder export" in caplog.text


def test_damaged_export_falls_back_to_torch(export_dir, tmp_path, caplog):
    copy = tmp_path / "onnx"
    shutil.copytree(export_dir, copy)
    (copy / ONNX_FILE).write_bytes(b"not a model")
    with caplog.at_level(logging.WARNING, logger="bot.index.embedder"):
        embedder = load_embedder(settings_for(tmp_path, onnx_model_dir=copy))
    assert isinstance(embedder, TorchEmbedder)
    assert "does not match" in caplog.text


def test_embedder_setting_chooses_torch_and_fingerprints_differ(export_dir, tmp_path):
    torch_choice = load_embedder(settings_for(tmp_path, embedder="TORCH", onnx_model_dir=export_dir))
    onnx_choice = load_embedder(settings_for(tmp_path, embedder="onnx", onnx_model_dir=export_dir))
    assert isinstance(torch_choice, TorchEmbedder) and isinstance(onnx_choice, OnnxEmbedder)
    assert torch_choice.fingerprint.startswith("torch:") and onnx_choice.fingerprint.startswith("onnx:")
    assert torch_choice.fingerprint != onnx_choice.fingerprint


def test_a_change_of_embedder_re_embeds_every_stored_vector(export_dir, torch_embedder, fixture_corpus_dir, tmp_path):
    from bot.index import Index
    from bot.review.service import ReviewService
    from rich.console import Console

    from ingest.cli import ingest_and_flag, print_summary
    from ingest.pipeline import run_ingest

    settings = settings_for(tmp_path, onnx_model_dir=export_dir)
    onnx = load_embedder(settings)
    first = Index(settings, embedder=onnx)
    built = run_ingest(settings, [str(fixture_corpus_dir)], index=first, progress=False)
    assert built.chunks > 0 and built.chunks_reembedded == 0
    store = ReviewService.from_settings(settings, index=first)
    store.create_verified("can a parent see a child's record", "See the guidance.", [], "U1")
    store.close()
    assert first.current_version()["embedder"] == onnx.fingerprint
    assert not first.embedder_changed()

    switched = Index(settings, embedder=torch_embedder)
    assert switched.embedder_changed()
    assert run_ingest(settings, [str(fixture_corpus_dir)], index=switched, dry_run=True,
                      progress=False).chunks_reembedded == built.chunks
    again, _ = ingest_and_flag(settings, [str(fixture_corpus_dir)], index=switched, progress=False)
    assert again.chunks_reembedded == built.chunks and not again.added and not again.updated
    assert switched.current_version()["embedder"] == torch_embedder.fingerprint
    shown = io.StringIO()
    print_summary(again, Console(file=shown, width=200))
    assert f"{built.chunks} stored chunks were embedded again" in shown.getvalue()
    assert not switched.embedder_changed()

    chunks = switched.all_chunks()
    stored = switched.vectors([c.chunk_id for c in chunks])
    expected = switched.embed_chunks(chunks)
    for chunk, vector in zip(chunks, expected):
        np.testing.assert_allclose(stored[chunk.chunk_id], vector, atol=1e-6)  # torch's, not onnx's
    question = "can a parent see a child's record"
    got = switched.verified.get(include=["embeddings"])
    np.testing.assert_allclose(got["embeddings"][0], torch_embedder.embed_query(question), atol=1e-6)

    idle = run_ingest(settings, [str(fixture_corpus_dir)], index=switched, progress=False)
    assert idle.chunks_embedded == 0 and idle.chunks_reembedded == 0


def test_gpbot_help_and_review_help_import_no_heavy_library(tmp_path):
    code = (
        "import sys\nfrom bot.cli import app\n"
        "for argv in (['--help'], ['review', '--help'], ['serve', '--help'], ['embedder', '--help']):\n"
        "    try:\n        app(argv)\n    except SystemExit:\n        pass\n"
        "print('LOADED', sorted(m for m in ('torch', 'sentence_transformers', 'transformers', 'chromadb',"
        " 'onnxruntime', 'sqlalchemy', 'bm25s') if m in sys.modules))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT), GPBOT_DATA_DIR=str(tmp_path / "data"))
    result = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Usage" in result.stdout
    assert result.stdout.strip().splitlines()[-1] == "LOADED []"


def test_the_export_is_the_fused_graph_and_was_checked_against_sentence_transformers(export_dir):
    import onnx

    from bot.index.embedder_export import MIN_COSINE, RECIPE

    manifest = read_manifest(export_dir, full=True)
    assert manifest["recipe"] == RECIPE and manifest["check_cosine"] >= MIN_COSINE
    graph = onnx.load(str(export_dir / ONNX_FILE), load_external_data=False).graph
    kinds = [node.op_type for node in graph.node]
    assert kinds.count("Attention") == 6 and kinds.count("SkipLayerNormalization") == 12  # six layers, fused
    assert "Softmax" not in kinds and "Erf" not in kinds  # nothing of the unfused attention or GELU is left
    assert [i.name for i in graph.input] == ["input_ids", "attention_mask", "token_type_ids"]


def test_an_export_whose_vectors_differ_is_refused_and_nothing_is_written(export_dir, tmp_path):
    import onnx
    from onnx import numpy_helper

    from bot.index.embedder import packaged_model_path
    from bot.index.embedder_export import MIN_COSINE, _check_vectors

    model = onnx.load(str(export_dir / ONNX_FILE))
    ffn = next(i for i in model.graph.initializer if "intermediate.dense.bias" in i.name)
    ffn.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(ffn) + 2.0, ffn.name))  # a wrong rewrite
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    onnx.save(model, str(damaged / ONNX_FILE))
    shutil.copyfile(export_dir / TOKENIZER_FILE, damaged / TOKENIZER_FILE)
    assert _check_vectors(packaged_model_path(), export_dir, 256) >= MIN_COSINE
    assert _check_vectors(packaged_model_path(), damaged, 256) < MIN_COSINE


def test_an_export_of_an_older_recipe_is_redone_and_changes_the_fingerprint(export_dir, tmp_path):
    from bot.index.embedder import packaged_model_path
    from bot.index.embedder_export import RECIPE, export_onnx

    copy = tmp_path / "onnx"
    shutil.copytree(export_dir, copy)
    manifest = json.loads((copy / MANIFEST_FILE).read_text())
    old = OnnxEmbedder(copy, {**manifest, "onnx_sha256": "0" * 64})  # what an index made by the old file records
    (copy / MANIFEST_FILE).write_text(json.dumps({**manifest, "recipe": "1:opset17:last_hidden_state:fp32"}))
    assert export_onnx(packaged_model_path(), copy) == (copy, True)
    redone = read_manifest(copy, full=True)
    assert redone["recipe"] == RECIPE
    assert OnnxEmbedder(copy, redone).fingerprint != old.fingerprint


def test_many_batches_run_on_single_threaded_sessions_side_by_side_with_the_same_vectors(export_dir):
    embedder = OnnxEmbedder(export_dir, read_manifest(export_dir), threads=2)
    query = embedder.embed_query(TEXTS[1])
    assert "_batch_sessions" not in embedder.__dict__  # a process that only answers holds one session
    texts = [f"{t} ({n})" for n in range(3) for t in TEXTS]
    many = embedder.embed(texts, batch_size=2)  # six batches, three per session
    assert len(embedder.__dict__["_batch_sessions"]) == 2
    one_by_one = np.stack([embedder.embed_query(t) for t in texts])
    np.testing.assert_allclose(many, one_by_one, atol=2e-5)
    np.testing.assert_allclose(embedder.embed(TEXTS, batch_size=1)[1], query, atol=2e-5)
