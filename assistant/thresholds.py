"""Cosine thresholds belong to an embedder: looked up by its id in ``data/thresholds.toml``."""

from __future__ import annotations

import logging
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .settings import Settings

log = logging.getLogger(__name__)
TABLE = Path(__file__).parent / "data" / "thresholds.toml"


@dataclass(frozen=True)
class Thresholds:
    embedder_id: str
    abstain_min_dense: float  # best passage cosine under which a question counts as not covered
    support_min_cosine: float  # statement-passage cosine that lets weak word overlap count as support
    calibrated: bool  # False: the [default] section (similarity checks off)
    by_hand: bool = False  # ASSISTANT_ABSTAIN_MIN_DENSE or ASSISTANT_SUPPORT_MIN_COSINE was set

    @property
    def unset(self) -> bool:
        """No calibration and nothing set by hand: the similarity checks are off."""
        return not self.calibrated and not self.by_hand


@lru_cache(maxsize=8)
def _table(path: Path) -> dict[str, dict[str, float]]:
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    return {**data.get("embedders", {}), "": data["default"]}


def lookup(embedder_id: str, path: Path = TABLE) -> Thresholds:
    """The calibrated thresholds of ``embedder_id``, or the table's default."""
    table = _table(path)
    row = table.get(embedder_id)
    return Thresholds(embedder_id, float((row or table[""])["abstain_min_dense"]),
                      float((row or table[""])["support_min_cosine"]), calibrated=row is not None)


@lru_cache(maxsize=8)
def _warn_uncalibrated(embedder_id: str) -> None:
    log.warning("no thresholds for embedder %s in %s: similarity abstention is off until "
                "`python -m assistant.evaluation.calibrate` is run for it", embedder_id, TABLE)


def for_settings(settings: Settings) -> Thresholds:
    """The embedder's thresholds, with what the settings set explicitly taking precedence (an
    uncalibrated embedder without such settings is logged once)."""
    t = lookup(settings.embedder_id())
    dense, support = settings.abstain_min_dense, settings.support_min_cosine
    t = Thresholds(t.embedder_id, t.abstain_min_dense if dense is None else dense,
                   t.support_min_cosine if support is None else support, t.calibrated,
                   by_hand=dense is not None or support is not None)
    if t.unset:
        _warn_uncalibrated(t.embedder_id)
    return t
