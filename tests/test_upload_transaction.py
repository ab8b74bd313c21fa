"""An upload as a transaction: each step on its own (check, stage, commit, roll back)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.ingest.load import read_metadata, set_metadata
from assistant.prompts import UI
from assistant.settings import Settings
from assistant.upload_transaction import DocumentDetails, UploadReport, UploadTransaction

TEXT = "Samenwerken met ouders\n\nEen vast aanspreekpunt maakt het contact met ouders eenvoudiger.\n"


def _tx(tmp_path: Path, corpus: Path, build=None, details: DocumentDetails | None = None) -> UploadTransaction:
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index", data_dir=tmp_path / "data")
    return UploadTransaction(settings, UploadReport(), details or DocumentDetails(),
                             build or (lambda: pytest.fail("no build expected")))


def test_check_refuses_by_name_type_and_size_without_touching_anything(tmp_path: Path, make_corpus) -> None:
    corpus = make_corpus(tmp_path / "corpus", {"bestaand.txt": TEXT})
    received = make_corpus(tmp_path / "received", {"goed.txt": TEXT, "plaatje.png": b"\x89PNG", "leeg.md": ""})
    tx = _tx(tmp_path, corpus)
    staged = tx.check([("goed.txt", received / "goed.txt"), ("../weg.txt", received / "goed.txt"),
                       ("plaatje.png", received / "plaatje.png"), ("leeg.md", received / "leeg.md"),
                       ("kwijt.txt", received / "kwijt.txt")])
    assert [s.safe for s in staged] == ["goed.txt"]
    assert dict(tx.report.rejected) == {
        "../weg.txt": UI["reason_name"], "plaatje.png": UI["reason_type"].format(suffix=".png"),
        "leeg.md": UI["reason_empty"], "kwijt.txt": UI["reason_missing"]}
    assert sorted(p.name for p in corpus.rglob("*")) == ["bestaand.txt"]


def _indexed(tmp_path: Path, files: list[str]) -> None:
    """A live index generation whose manifest lists ``files`` (all that staging looks at)."""
    import json

    gen = tmp_path / "index" / "gen-test"
    gen.mkdir(parents=True)
    (gen / "manifest.json").write_text(json.dumps({"files": dict.fromkeys(files, "x")}), encoding="utf-8")
    (tmp_path / "index" / "CURRENT").write_text("gen-test", encoding="utf-8")


def test_stage_copies_in_and_rollback_takes_it_out(tmp_path: Path, make_corpus) -> None:
    corpus = make_corpus(tmp_path / "corpus", {"bestaand.txt": TEXT, "metadata.toml": ""})
    received = make_corpus(tmp_path / "received", {"nieuw.txt": TEXT.replace("vast", "vaste"),
                                                   "dubbel.txt": TEXT})
    _indexed(tmp_path, ["bestaand.txt"])
    tx = _tx(tmp_path, corpus)
    staged = tx.check([("nieuw.txt", received / "nieuw.txt"), ("dubbel.txt", received / "dubbel.txt")])
    assert tx.stage(staged)
    assert list(tx.copied) == ["uploads/nieuw.txt"] and (corpus / "uploads" / "nieuw.txt").is_file()
    assert tx.report.rejected == [("dubbel.txt", UI["reason_duplicate"].format(name="bestaand.txt"))]
    tx.undo = set_metadata(corpus, {"uploads/nieuw.txt": {"author": "School"}})
    tx.rollback(OSError("schijf vol"))
    assert not (corpus / "uploads" / "nieuw.txt").exists() and "uploads/nieuw.txt" not in read_metadata(corpus)
    assert tx.report.error == "OSError: schijf vol"


def test_a_file_in_the_corpus_but_not_in_the_index_is_taken_again(tmp_path: Path, make_corpus) -> None:
    """Reproduction: after a crash mid-build the file sat in the corpus unindexed, and uploading it
    again was refused as "already present"."""
    corpus = make_corpus(tmp_path / "corpus", {"bestaand.txt": TEXT, "uploads/onderbroken.txt": TEXT + "Meer.\n"})
    received = make_corpus(tmp_path / "received", {"onderbroken.txt": TEXT + "Meer.\n"})
    _indexed(tmp_path, ["bestaand.txt"])
    tx = _tx(tmp_path, corpus)
    assert tx.stage(tx.check([("onderbroken.txt", received / "onderbroken.txt")]))
    assert tx.adopted == {"uploads/onderbroken.txt": "onderbroken.txt"} and not tx.copied and not tx.report.rejected
    assert sorted(p.name for p in (corpus / "uploads").iterdir()) == ["onderbroken.txt"]  # no second copy
    tx.rollback(OSError("schijf vol"))
    assert (corpus / "uploads" / "onderbroken.txt").is_file()  # a rollback never removes what was there


def test_the_corpus_quota_refuses_by_name(tmp_path: Path, make_corpus) -> None:
    corpus = make_corpus(tmp_path / "corpus", {"bestaand.txt": TEXT * 10})
    received = make_corpus(tmp_path / "received", {"nieuw.txt": TEXT.replace("vast", "vaste")})
    _indexed(tmp_path, ["bestaand.txt"])
    tx = _tx(tmp_path, corpus)
    tx.settings = tx.settings.model_copy(update={"max_corpus_mb": len(TEXT * 10) / 1e6 + 0.00001})
    assert not tx.stage(tx.check([("nieuw.txt", received / "nieuw.txt")]))
    [(name, reason)] = tx.report.rejected
    assert name == "nieuw.txt" and reason.startswith("de bronnen zijn vol")


def test_a_file_that_takes_too_long_to_read_is_refused_and_the_worker_ended(tmp_path: Path, make_corpus) -> None:
    corpus = make_corpus(tmp_path / "corpus", {"bestaand.txt": TEXT})
    received = make_corpus(tmp_path / "received", {"traag.txt": TEXT.replace("vast", "vaste")})
    _indexed(tmp_path, ["bestaand.txt"])
    tx = _tx(tmp_path, corpus)
    tx.settings = tx.settings.model_copy(update={"ingest_timeout_s": 0.001})  # not even the worker's start-up
    assert not tx.stage(tx.check([("traag.txt", received / "traag.txt")]))
    assert tx.report.rejected == [("traag.txt", UI["reason_timeout"].format(seconds=0))]
    assert not (corpus / "uploads").exists()


@pytest.mark.slow
def test_commit_builds_the_index_with_the_details(tmp_path: Path, make_corpus) -> None:
    from assistant.index import build_index

    corpus = make_corpus(tmp_path / "corpus", {"bestaand.txt": TEXT})
    received = make_corpus(tmp_path / "received", {"nieuw.txt": "Afspraken\n\nMaak samen afspraken over rollen.\n"})
    tx = _tx(tmp_path, corpus, details=DocumentDetails(title="Afsprakenkaart", year=2024))
    tx.build = lambda: build_index(tx.settings, show_progress=False)
    assert tx.stage(tx.check([("nieuw.txt", received / "nieuw.txt")]))
    summary = tx.commit()
    assert tx.report.added == ["uploads/nieuw.txt"] and tx.report.summary is summary
    assert read_metadata(corpus)["uploads/nieuw.txt"] == {"title": "Afsprakenkaart", "year": 2024}
