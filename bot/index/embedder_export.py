"""`gpbot embedder export`: turn the sentence-transformers model into the ONNX file `OnnxEmbedder` runs.

Run once at set-up (`make install`, the image build), never while answering: it imports torch. It writes
`model.onnx` (the transformer, up to its token vectors; pooling and normalisation stay in bot/index/embedder.py),
traced with eager attention and then rewritten by onnxruntime's transformer optimizer into its fused BERT
kernels (Attention, EmbedLayerNormalization, SkipLayerNormalization, BiasGelu: same arithmetic, fewer
passes over memory), a copy of `tokenizer.json`, and `manifest.json` recording the source weights' hash, the export recipe and
the hash (and size and mtime, the quick check a start-up makes) of each file written. A second run with the same source and recipe finds the manifest intact and
does nothing; a changed source, recipe or damaged file is exported again. Before anything is written the
export embeds a few texts with both sentence-transformers and the new file and refuses a file whose vectors
differ (cosine below MIN_COSINE), so a bad rewrite never reaches the index.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import warnings
from pathlib import Path

from bot.index.embedder import (MANIFEST_FILE, ONNX_FILE, TOKENIZER_FILE, file_sha256, file_stamp, read_manifest,
                                 source_sha256)

log = logging.getLogger(__name__)

# Bump when the export itself changes (opset, inputs, quantisation): existing exports are then redone.
RECIPE = "2:opset17:last_hidden_state:eager:bert-fused:fp32"
OPSET = 17
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
# The fp32 rewrite only reorders float arithmetic: sentence-transformers' vectors to ~1e-6 (measured >= 0.99999).
MIN_COSINE = 0.9999
CHECK_TEXTS = (
    "online access to GP records",
    "x",
    "A practice can redact a third party's details from a letter before it is shown in the app. " * 12,
)


def _max_seq_length(model_path: Path) -> int:
    try:
        return int(json.loads((model_path / "sentence_bert_config.json").read_text())["max_seq_length"])
    except (OSError, ValueError, KeyError):
        return 256  # all-MiniLM-L6-v2's own limit


def _export_transformer(model_path: Path, target: Path) -> None:
    import torch
    from transformers import AutoModel

    # eager attention: the graph the optimizer's attention fusion recognises (sdpa's mask graph is not fused)
    model = AutoModel.from_pretrained(str(model_path), attn_implementation="eager").eval()

    class TokenVectors(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    sample = torch.ones(2, 8, dtype=torch.long)
    mask = sample.clone()
    mask[1, 5:] = 0  # a padded row, so the traced graph keeps the attention mask
    axes = {name: {0: "batch", 1: "tokens"} for name in (*INPUTS, "last_hidden_state")}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's notes on constant shapes: the cosine test checks the result
        torch.onnx.export(
            TokenVectors(model),
            (sample, mask, torch.zeros_like(sample)),
            str(target),
            input_names=list(INPUTS),
            output_names=["last_hidden_state"],
            dynamic_axes=axes,
            opset_version=OPSET,
            dynamo=False,
        )


def _optimise(traced: Path, target: Path, model_path: Path) -> None:
    """Rewrite the traced graph with onnxruntime's BERT fusions (basic level only: the hardware-specific
    optimisations are applied by the session at load time, so the file stays portable)."""
    from onnxruntime.transformers.optimizer import optimize_model

    config = json.loads((model_path / "config.json").read_text())
    logging.disable(logging.INFO)  # the optimizer logs each fusion at INFO
    try:
        optimised = optimize_model(str(traced), model_type="bert", num_heads=int(config["num_attention_heads"]),
                                   hidden_size=int(config["hidden_size"]), opt_level=0)
    finally:
        logging.disable(logging.NOTSET)
    fused = optimised.get_fused_operator_statistics()
    if fused.get("Attention", 0) != int(config["num_hidden_layers"]):
        log.warning("the ONNX optimizer fused %s of %s attention layers", fused.get("Attention", 0),
                    config["num_hidden_layers"])
    optimised.save_model_to_file(str(target))


def _check_vectors(model_path: Path, work: Path, max_seq_length: int) -> float:
    """The lowest cosine between sentence-transformers' vectors and the exported model's on CHECK_TEXTS."""
    from bot.index.embedder import OnnxEmbedder, TorchEmbedder

    manifest = {"onnx_sha256": "", "tokenizer_sha256": "", "max_seq_length": max_seq_length}
    exported = OnnxEmbedder(work, manifest).embed(CHECK_TEXTS)
    reference = TorchEmbedder(model_path).embed(CHECK_TEXTS)
    return float((exported * reference).sum(axis=1).min())


def _refresh_stamps(directory: Path, manifest: dict) -> None:
    """Record the files' current size and mtime (just hashed intact) so start-ups can skip the hash."""
    stamps = {name: file_stamp(directory / name) for name in (ONNX_FILE, TOKENIZER_FILE)}
    if manifest.get("stamps") == stamps:
        return
    try:
        tmp = directory / (MANIFEST_FILE + ".tmp")
        tmp.write_text(json.dumps({**manifest, "stamps": stamps}, indent=1))
        os.replace(tmp, directory / MANIFEST_FILE)
    except OSError as exc:  # a read-only install still works; each start-up hashes instead
        log.warning("could not update %s: %s", directory / MANIFEST_FILE, exc)


def export_onnx(model_path: Path, directory: Path, *, force: bool = False) -> tuple[Path, bool]:
    """Export `model_path` into `directory` unless an intact export of the same source is there.
    Returns (directory, whether it exported)."""
    model_path = Path(model_path).resolve()
    source_sha = source_sha256(model_path)
    current = read_manifest(directory, full=True)
    if (
        not force
        and current is not None
        and current.get("source_sha256") == source_sha
        and current.get("recipe") == RECIPE
    ):
        _refresh_stamps(directory, current)
        return directory, False
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=directory, prefix=".export-") as tmp:
        work = Path(tmp)
        _export_transformer(model_path, work / "traced.onnx")
        _optimise(work / "traced.onnx", work / ONNX_FILE, model_path)
        shutil.copyfile(model_path / TOKENIZER_FILE, work / TOKENIZER_FILE)
        max_seq_length = _max_seq_length(model_path)
        cosine = _check_vectors(model_path, work, max_seq_length)
        if cosine < MIN_COSINE:
            raise RuntimeError(f"the exported model's vectors differ from sentence-transformers' (cosine {cosine:.6f} "
                               f"< {MIN_COSINE}): nothing was written to {directory}")
        manifest = {
            "source": str(model_path),
            "source_sha256": source_sha,
            "recipe": RECIPE,
            "max_seq_length": max_seq_length,
            "check_cosine": round(cosine, 7),
            "onnx_sha256": file_sha256(work / ONNX_FILE),
            "tokenizer_sha256": file_sha256(work / TOKENIZER_FILE),
        }
        # files first, the manifest last: a killed export leaves no manifest that vouches for half a model
        (directory / MANIFEST_FILE).unlink(missing_ok=True)
        for name in (ONNX_FILE, TOKENIZER_FILE):
            os.replace(work / name, directory / name)
        manifest["stamps"] = {name: file_stamp(directory / name) for name in (ONNX_FILE, TOKENIZER_FILE)}
        (work / MANIFEST_FILE).write_text(json.dumps(manifest, indent=1))
        os.replace(work / MANIFEST_FILE, directory / MANIFEST_FILE)
    return directory, True
