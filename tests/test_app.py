"""The web app's service layer (real engine, real index copies, real PDFs) and app construction."""

from __future__ import annotations

import fcntl
import os
import shutil
import tomllib
from pathlib import Path

import pytest

from assistant.errors import AssistantError, ConfigError, FieldError
from assistant.index import current_generation
from assistant.ingest.load import list_corpus
from assistant.prompts import UI
from assistant.service import (
    AssistantService,
    Conversation,
    DocumentDetails,
    TurnRecord,
    answer_markdown,
    chat_markdown,
    highlight,
    render_sources,
    render_upload_report,
    safe_filename,
)
from assistant.records import Statement
from assistant.render import markdown
from assistant.settings import Settings
from helpers import LEESBRUG, LEESBRUG_QUESTION


@pytest.fixture
def app_settings(tmp_path: Path, corpus_settings: Settings, corpus_dir: Path) -> Settings:
    """Copies of the real corpus and of the session index: the tests may change them freely."""
    corpus = tmp_path / "corpus"
    shutil.copytree(corpus_dir, corpus)
    index = tmp_path / "index"
    shutil.copytree(corpus_settings.index_dir, index, ignore=shutil.ignore_patterns(".lock"))
    return Settings(corpus_dir=corpus, index_dir=index, data_dir=tmp_path / "data", max_upload_mb=1.0)


@pytest.fixture
def service(app_settings: Settings, embeddings) -> AssistantService:
    from assistant.answer.chain import AnswerEngine

    return AssistantService(app_settings, AnswerEngine(app_settings, embeddings=embeddings))


def _state(settings: Settings, service: AssistantService) -> tuple[str, int, list[str]]:
    gen = current_generation(settings.index_dir)
    assert gen is not None
    return gen.name, service.chunk_count(), [cf.rel for cf in list_corpus(settings.corpus_dir)]


# --- the app -------------------------------------------------------------------------------------


def test_build_app_returns_blocks(webapp, app_settings: Settings, service: AssistantService) -> None:
    import gradio as gr

    assert os.environ["GRADIO_ANALYTICS_ENABLED"] == "False"  # set before gradio was imported
    demo = webapp.build_app(app_settings, service)
    assert isinstance(demo, gr.Blocks) and not demo.analytics_enabled
    assert demo.service is service
    cfg = demo.get_config_file()
    api_names = {d.get("api_name") for d in cfg["dependencies"]}
    assert {"ask", "prepare", "add_documents", "new_chat"} <= api_names
    labels = {c.get("props", {}).get("label") for c in cfg["components"]}
    assert {"Vraag & antwoord", "Overleg voorbereiden", "Bronnen"} <= labels
    # the documents table lists the indexed documents with organisation (meta.author), year, passages
    table = next(c for c in cfg["components"] if c.get("props", {}).get("elem_id") == "sw-docs")
    rows = table["props"]["value"]["data"]
    assert len(rows) == len(service.documents()) == 5
    row = next(r for r in rows if r[0] == "Samenwerken kent vele gezichten")
    assert "Fontys" in row[1] and str(row[2]) == "2017" and int(row[3]) > 0
    assert row[4] == "samenwerken-kent-vele-gezichten.txt"


def test_address_and_mount_options(webapp, app_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.web.serve import address

    monkeypatch.delenv("GRADIO_SERVER_NAME", raising=False)
    monkeypatch.delenv("GRADIO_SERVER_PORT", raising=False)
    assert address() == ("127.0.0.1", 7860)
    monkeypatch.setenv("GRADIO_SERVER_NAME", "0.0.0.0")
    monkeypatch.setenv("GRADIO_SERVER_PORT", "8123")
    assert address() == ("0.0.0.0", 8123)
    assert address("127.0.0.2", 9000) == ("127.0.0.2", 9000)  # explicit --host/--port win
    o = webapp.mount_options(app_settings, "127.0.0.1", 7860)
    assert o["auth"] is None and o["run_history"] is False  # no stored runs and no run-history routes
    s = app_settings.model_copy(update={"auth_user": "leraar", "auth_password": "geheim"})
    auth = webapp.mount_options(s, "127.0.0.1", 7860)["auth"]  # the one login
    assert auth("leraar", "geheim") and not auth("leraar", "fout") and not auth("ander", "geheim")


def test_serving_beyond_loopback_needs_a_login_or_an_explicit_flag(app_settings: Settings) -> None:
    from assistant.web.asgi import check_exposure

    assert check_exposure(app_settings, "127.0.0.1") is False and check_exposure(app_settings, "localhost") is False
    with pytest.raises(ConfigError, match="--allow-no-login"):
        check_exposure(app_settings, "0.0.0.0")
    with pytest.raises(ConfigError, match="--allow-no-login"):
        check_exposure(app_settings, "192.0.2.10")
    assert check_exposure(app_settings.model_copy(update={"allow_no_login": True}), "0.0.0.0") is True  # warned
    login = app_settings.model_copy(update={"auth_user": "leraar", "auth_password": "geheim"})
    assert check_exposure(login, "0.0.0.0") is False
    with pytest.raises(ConfigError):  # half a login is a mistake, wherever it serves
        check_exposure(app_settings.model_copy(update={"auth_user": "leraar"}), "127.0.0.1")


def test_html_pages_get_the_dutch_locale_before_gradio_reads_it() -> None:
    """Gradio 6.31 takes its locale from navigator.language: every HTML page starts with a script
    that makes it Dutch; other responses pass unchanged."""
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.responses import HTMLResponse, JSONResponse, StreamingResponse
    from starlette.routing import Route
    from starlette.testclient import TestClient

    from assistant.web.locale import SCRIPT, DutchPages

    page = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"></head><body>é</body></html>"

    async def chunks():
        yield page[:20].encode()
        yield page[20:].encode()

    app = Starlette(routes=[
        Route("/", lambda r: HTMLResponse(page)),
        Route("/stream", lambda r: StreamingResponse(chunks(), media_type="text/html")),
        Route("/config", lambda r: JSONResponse({"head": "<head>"})),
    ], middleware=[Middleware(DutchPages)])
    client = TestClient(app)
    for path in ("/", "/stream"):
        r = client.get(path)
        assert r.status_code == 200 and r.text.startswith("<!doctype html><html lang=\"en\"><head><script>")
        assert r.content == page.encode().replace(b"<head>", b"<head>" + SCRIPT) and r.text.count("<script>") == 1
        assert "get:function(){return 'nl';}" in SCRIPT.decode()
    assert int(client.get("/").headers["content-length"]) == len(page.encode()) + len(SCRIPT)
    assert client.get("/config").json() == {"head": "<head>"}  # the API is left alone


def test_login_is_required_when_configured(webapp, app_settings: Settings, service: AssistantService,
                                          free_port: int) -> None:
    import http.cookiejar
    import urllib.error
    import urllib.parse
    import urllib.request

    settings = app_settings.model_copy(update={"auth_user": "leraar", "auth_password": "geheim"})
    server = webapp.LocalServer(webapp.create_app(settings, service, port=free_port), port=free_port).start()
    base = f"http://127.0.0.1:{free_port}"
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def status(path: str, data: dict[str, str] | None = None) -> int:
        try:
            body = urllib.parse.urlencode(data).encode() if data is not None else None
            with opener.open(base + path, data=body, timeout=10) as r:
                return int(r.status)
        except urllib.error.HTTPError as e:
            return int(e.code)

    try:
        assert status("/config") == 401 and status("/gradio_api/info") == 401
        assert status("/login", {"username": "leraar", "password": "fout"}) >= 400
        assert status("/config") == 401
        assert status("/login", {"username": "leraar", "password": "geheim"}) == 200
        assert status("/config") == 200
        import http.client

        con = http.client.HTTPConnection("127.0.0.1", free_port, timeout=10)
        con.request("POST", "/login", urllib.parse.urlencode({"username": "leraar", "password": "geheim"}),
                    {"Content-Type": "application/x-www-form-urlencoded"})
        cookies = con.getresponse().headers.get_all("set-cookie")
        assert cookies and all("SameSite=Lax" in c and "samesite=none" not in c.lower() for c in cookies), cookies
    finally:
        server.close()


# --- answers -------------------------------------------------------------------------------------


def test_answer_streams_through_the_service(service: AssistantService) -> None:
    conv = Conversation()
    parts = list(service.stream(conv, "Wat zijn de vijf dimensies van care?"))
    partial, (final_text, answer) = parts[:-1], parts[-1]
    assert len(partial) >= 2 and all(a is None for _, a in partial)
    texts = [t for t, _ in partial]
    assert all(b.startswith(a) and len(b) > len(a) for a, b in zip(texts, texts[1:]))  # it grows
    assert answer is not None and not answer.abstained and answer.citations
    assert final_text == answer.text and "Empathie" in answer.text
    assert len(conv.turns) == 1 and conv.turns[0].citations[0]["text"]  # the whole passage is kept
    html = render_sources(conv)
    for c in answer.citations:
        assert f'id="bron-1-{c.n}"' in html
    assert "<mark>" in html and "Gezocht als" not in html  # a first question is searched as asked
    md = answer_markdown(answer, 1)
    assert f"(#bron-1-{answer.citations[0].n})" in md

    # a follow-up: history and the previous citations go in, the rewritten query is shown
    follow = service.ask(conv, "En hoe zit het met moed?")
    assert len(conv.turns) == 2 and conv.turns[1].history[0]["content"] == "Wat zijn de vijf dimensies van care?"
    assert follow.query != "En hoe zit het met moed?" and "care" in follow.query
    assert follow.citations and "moed" in follow.text.lower()
    html = render_sources(conv)
    assert 'id="bron-2-' in html and "Gezocht als" in html and 'class="sw-older"' in html
    assert conv.prior_ids() == [c.chunk_id for c in follow.citations]

    # what the engine refuses comes out as a user-facing error, and the conversation is unchanged
    with pytest.raises(AssistantError):
        service.ask(conv, "x" * (service.settings.max_question_chars + 1))
    assert len(conv.turns) == 2


def test_rendering_escapes_source_and_user_text() -> None:
    evil = '<script>alert("x")</script> {{constructor}} ${1+1}'
    conv = Conversation([TurnRecord(
        question=f"Vraag {evil}", answer="a [1]", query=f"q {evil}", abstained=False, lang="nl", history=[],
        citations=[{"n": 1, "chunk_id": "c1", "source": "<b>bron</b>.txt", "title": f"Titel {evil}",
                    "section": "<i>sectie</i>", "page": 3, "quote": "Dit is <u>de</u> zin.",
                    "text": f"Begin {evil}. Dit is <u>de</u> zin. Einde."}],
    )])
    html = render_sources(conv)
    assert "<script" not in html and "<b>" not in html and "<i>" not in html and "<u>" not in html
    assert "&lt;script&gt;" in html and "{{" not in html and "${" not in html
    assert "<mark>Dit is &lt;u&gt;de&lt;/u&gt; zin.</mark>" in html
    assert "p. 3" in html and 'id="bron-1-1"' in html
    md = markdown([Statement(evil, cites=(1,)), Statement("en [12]", cites=(12,))], link=lambda n: f"#bron-4-{n}")
    assert "<script" not in md and "&lt;script&gt;" in md
    assert "[\\[1\\]](#bron-4-1)" in md and "(#bron-4-12)" in md
    assert "en \\[12\\] [" in md  # a marker inside the source text stays text, never a link
    assert "<" not in chat_markdown("<img src=x onerror=alert(1)>")

    # the quoted spans of the passage are marked (across line breaks); spans outside it are ignored
    passage = "Eerste zin over\nvertrouwen. Tweede zin. Derde zin over moed."
    out, marked = highlight(passage, [(0, 27), (passage.index("Derde"), len(passage))])
    assert marked and out.count("<mark>") == 2 and "Tweede zin." in out and "<mark>Eerste zin over\nvertrouwen.</mark>" in out
    _, marked = highlight("Een heel andere tekst.", [(40, 60)])
    assert not marked


# --- uploads -------------------------------------------------------------------------------------


def test_upload_pdf_then_answer_cites_it(service: AssistantService, app_settings: Settings, make_pdf,
                                         tmp_path: Path) -> None:
    gen0, chunks0, files0 = _state(app_settings, service)
    before = service.ask(Conversation(), LEESBRUG_QUESTION)
    assert not any(c.source.startswith("uploads/") for c in before.citations)

    pdf = make_pdf(tmp_path / "incoming" / "Leesbrug bibliotheek.pdf", LEESBRUG)
    report = service.add_files([(pdf.name, pdf)])
    assert report.ok, render_upload_report(report)
    assert report.added == ["uploads/Leesbrug-bibliotheek.pdf"]
    assert (app_settings.corpus_dir / "uploads" / "Leesbrug-bibliotheek.pdf").read_bytes() == pdf.read_bytes()
    gen1, chunks1, files1 = _state(app_settings, service)
    assert gen1 != gen0 and service.generation == gen1  # the new generation is live in the service
    assert chunks1 > chunks0 and files1 == sorted(files0 + ["uploads/Leesbrug-bibliotheek.pdf"])
    assert report.summary is not None and report.summary.reused == chunks0  # incremental: old vectors reused
    assert any(r[4] == "uploads/Leesbrug-bibliotheek.pdf" for r in service.document_rows())
    assert "Leesbrug-bibliotheek.pdf" in render_upload_report(report).replace("\\", "")

    ans = service.ask(Conversation(), LEESBRUG_QUESTION)
    assert not ans.abstained
    cited = [c for c in ans.citations if c.source == "uploads/Leesbrug-bibliotheek.pdf"]
    assert cited and any("donderdagmiddag" in c.quote for c in cited) and cited[0].page == 1

    # the same file again is refused as a duplicate, and nothing is rebuilt
    again = service.add_files([("kopie.pdf", pdf)])
    assert again.added == [] and again.rejected[0][0] == "kopie.pdf" and "al in de bronnen" in again.rejected[0][1]
    assert _state(app_settings, service) == (gen1, chunks1, files1)


def test_upload_rejections_leave_the_index_unchanged(service: AssistantService, app_settings: Settings,
                                                     make_pdf, tmp_path: Path) -> None:
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    good_text = "Samenwerken met de buurtsportcoach: elke woensdag een sportmiddag voor de bovenbouw.\n"
    files = {
        "notities.docx": b"PK\x03\x04 not really a docx",
        "programma.exe": b"MZ\x90\x00",
        "groot.txt": ("Samenwerken in de wijk. " * 60000).encode(),  # about 1.4 MB; the limit is 1 MB
        "kapot.pdf": b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\nthis is not a pdf body\n",
        "leeg.md": b"",
        "binair.txt": b"\x00\x01\x02binary\x00" * 10,
    }
    pairs: list[tuple[str, Path]] = []
    for name, data in files.items():
        (incoming / name).write_bytes(data)
        pairs.append((name, incoming / name))
    scan = make_pdf(incoming / "scan.pdf", [""])  # a page without text
    pairs.append(("scan.pdf", scan))
    (incoming / "evil.txt").write_text(good_text, encoding="utf-8")
    for bad in ("../../evil.txt", "..\\..\\evil.txt", "/etc/evil.txt", ".."):
        pairs.append((bad, incoming / "evil.txt"))

    state0 = _state(app_settings, service)
    report = service.add_files(pairs)
    rejected = dict(report.rejected)
    assert report.added == [] and not report.error
    assert list(rejected) == [name for name, _ in pairs]  # every file is named, in order
    assert "geen geldig .docx-bestand" in rejected["notities.docx"]  # a .docx is read now: this one is no zip
    assert "niet ondersteund" in rejected["programma.exe"]
    assert "te groot" in rejected["groot.txt"] and "maximaal 1 MB" in rejected["groot.txt"]
    assert "PDF" in rejected["kapot.pdf"] and "leeg" in rejected["leeg.md"]
    assert "binair" in rejected["binair.txt"] and "zonder tekst" in rejected["scan.pdf"]
    assert "bestandsnaam" in rejected["../../evil.txt"] and "bestandsnaam" in rejected["/etc/evil.txt"]
    assert _state(app_settings, service) == state0  # same CURRENT generation, chunks and corpus files
    assert list(tmp_path.rglob("evil.txt")) == [incoming / "evil.txt"]  # only the test's own copy
    assert not (tmp_path.parent / "evil.txt").exists() and not (app_settings.corpus_dir / "uploads").exists()
    md = render_upload_report(report)
    for name in ("notities.docx", "groot.txt", "kapot.pdf", "scan.pdf", "../../evil.txt"):
        assert name in md.replace("\\", "")

    # a refused file does not stop a good one in the same upload
    mixed = service.add_files([("kapot.pdf", incoming / "kapot.pdf"), ("buurt sport.txt", incoming / "evil.txt")])
    assert mixed.added == ["uploads/buurt-sport.txt"] and [n for n, _ in mixed.rejected] == ["kapot.pdf"]
    assert _state(app_settings, service)[0] != state0[0]


def test_failed_indexing_keeps_the_old_index(service: AssistantService, app_settings: Settings,
                                             make_pdf, tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "leesbrug.pdf", LEESBRUG)
    state0 = _state(app_settings, service)
    meta0 = (app_settings.corpus_dir / "metadata.toml").read_bytes()
    # another indexing run holds the index lock (e.g. `assistant index` in a terminal)
    with open(app_settings.index_dir / ".lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        report = service.add_files([(pdf.name, pdf)], details=DocumentDetails.parse("Leesbrug", "Bieb", "2024"))
        fcntl.flock(fh, fcntl.LOCK_UN)
    assert report.added == [] and "indexering" in report.error
    assert "onveranderd" in render_upload_report(report)
    assert _state(app_settings, service) == state0
    assert (app_settings.corpus_dir / "metadata.toml").read_bytes() == meta0  # its entry is gone again
    assert not list((app_settings.corpus_dir / "uploads").glob("*"))  # the copied file is gone again
    assert service.ask(Conversation(), "Wat zijn de vijf dimensies van care?").citations  # still answering
    # once the lock is free the same upload works
    assert service.add_files([(pdf.name, pdf)]).added == ["uploads/leesbrug.pdf"]


def test_upload_details_describe_the_document(service: AssistantService, app_settings: Settings, make_pdf,
                                             tmp_path: Path) -> None:
    meta_file = app_settings.corpus_dir / "metadata.toml"
    before = meta_file.read_text(encoding="utf-8")
    pdf = make_pdf(tmp_path / "in" / "leesbrug.pdf", LEESBRUG, title="Microsoft Word - leesbrug.docx")
    details = DocumentDetails.parse("Leesbrug: school en bibliotheek", "Bibliotheek Zuid", "2024")
    report = service.add_files([(pdf.name, pdf)], details=details)
    assert report.ok and report.added == ["uploads/leesbrug.pdf"] and not report.notes
    row = next(r for r in service.document_rows() if r[4] == "uploads/leesbrug.pdf")
    assert row[:3] == ["Leesbrug: school en bibliotheek", "Bibliotheek Zuid", "2024"]
    after = meta_file.read_text(encoding="utf-8")
    assert after.startswith(before)  # the hand-written entries and comments are kept as they were
    assert tomllib.loads(after)["uploads/leesbrug.pdf"] == {
        "title": "Leesbrug: school en bibliotheek", "author": "Bibliotheek Zuid", "year": 2024}
    ans = service.ask(Conversation(), LEESBRUG_QUESTION)
    cited = [c for c in ans.citations if c.source == "uploads/leesbrug.pdf"]
    assert cited and {c.title for c in cited} == {"Leesbrug: school en bibliotheek"}

    # several files at once: a title would name them all alike, so it is left out (and said so);
    # organisation and year are kept for each
    a = tmp_path / "in" / "sport.txt"
    a.write_text("Samenwerken met de buurtsportcoach: elke woensdag een sportmiddag.\n", encoding="utf-8")
    b = tmp_path / "in" / "muziek.md"
    b.write_text("# Muziekles met de muziekschool\n\nEen docent van de muziekschool geeft les in groep 6.\n",
                 encoding="utf-8")
    both = service.add_files([(a.name, a), (b.name, b)],
                             details=DocumentDetails.parse("Eén titel", "Gemeente Oost", ""))
    assert both.added == ["uploads/muziek.md", "uploads/sport.txt"]
    assert both.notes == [UI["upload_title_ignored"]] and "titel is niet gebruikt" in render_upload_report(both)
    rows = {r[4]: r for r in service.document_rows()}
    assert rows["uploads/muziek.md"][:3] == ["Muziekles met de muziekschool", "Gemeente Oost", ""]
    assert rows["uploads/sport.txt"][1] == "Gemeente Oost" and rows["uploads/sport.txt"][0] != "Eén titel"

    # an entry left in metadata.toml by a removed file of the same name does not describe a new one
    with meta_file.open("a", encoding="utf-8") as fh:
        fh.write('\n["uploads/kunst.txt"]\ntitle = "Oud verslag"\nyear = 2001\n')
    c = tmp_path / "in" / "kunst.txt"
    c.write_text("Kunstles met het museum: een educatief medewerker komt drie keer per jaar.\n", encoding="utf-8")
    assert service.add_files([(c.name, c)]).added == ["uploads/kunst.txt"]
    assert "uploads/kunst.txt" not in tomllib.loads(meta_file.read_text(encoding="utf-8"))
    row = next(r for r in service.document_rows() if r[4] == "uploads/kunst.txt")
    assert row[0].startswith("Kunstles met het museum") and row[2] == ""


def test_upload_details_are_checked() -> None:
    d = DocumentDetails.parse("  Samen\tleren \x00 in\nde wijk ", " ", " 2024 ")
    assert (d.title, d.author, d.year) == ("Samen leren in de wijk", "", 2024)
    assert d.fields() == {"title": "Samen leren in de wijk", "year": 2024}
    assert d.fields(with_title=False) == {"year": 2024} and DocumentDetails.parse().fields() == {}
    with pytest.raises(FieldError) as e:
        DocumentDetails.parse(year="twintig")
    assert "Jaar" in str(e.value) and "twintig" in str(e.value) and "2024" in str(e.value)
    for bad in ("3024", "24", "2024-05", "1200"):
        with pytest.raises(FieldError):
            DocumentDetails.parse(year=bad)
    with pytest.raises(FieldError) as e:
        DocumentDetails.parse(author="x" * 201)
    assert "Auteur" in str(e.value) and "201 tekens" in str(e.value)


def test_unwritable_places_give_a_report_not_a_traceback(service: AssistantService, app_settings: Settings,
                                                         make_pdf, tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "in" / "leesbrug.pdf", LEESBRUG)
    state0 = _state(app_settings, service)
    # the uploads folder cannot be made (a file is in its way)
    (app_settings.corpus_dir / "uploads").write_text("geen map\n", encoding="utf-8")
    report = service.add_files([(pdf.name, pdf)])
    assert report.added == [] and "bronnenmap" in report.error and "onveranderd" in render_upload_report(report)
    assert _state(app_settings, service) == state0
    (app_settings.corpus_dir / "uploads").unlink()
    # the metadata lock cannot be taken (a folder is in its way): the copied file goes again
    meta0 = (app_settings.corpus_dir / "metadata.toml").read_bytes()
    (app_settings.corpus_dir / ".metadata.toml.lock").mkdir()
    report = service.add_files([(pdf.name, pdf)], details=DocumentDetails.parse(author="Bieb"))
    assert report.added == [] and "niet schrijfbaar" in report.error
    assert not list((app_settings.corpus_dir / "uploads").glob("*"))
    assert (app_settings.corpus_dir / "metadata.toml").read_bytes() == meta0
    assert _state(app_settings, service) == state0


def test_safe_filename() -> None:
    assert safe_filename("Verslag overleg (definitief).PDF") == "Verslag-overleg-definitief.pdf"
    assert safe_filename("Café ouders & school.md") == "Cafe-ouders-school.md"
    assert safe_filename(".verborgen.txt") == "verborgen.txt"
    assert safe_filename("README.md") == "upload-README.md"
    for bad in ("../../evil.txt", "a/b.txt", "a\\b.txt", "..", "", "x\x00.txt"):
        assert safe_filename(bad) is None


# --- feedback through the service ----------------------------------------------------------------


def test_feedback_through_the_service(service: AssistantService) -> None:
    conv = Conversation()
    ans = service.ask(conv, "Hoe ga ik om met weerstand tegen samenwerking?")
    assert not service.comment(conv, "te vroeg")  # nothing rated yet
    fid = service.rate(conv, 0, False)
    assert fid is not None and service.comment(conv, "Ik miste concrete stappen")
    (row,) = service.feedback.all()
    assert (row["id"], row["rating"], row["question"], row["answer"]) == \
        (fid, "down", "Hoe ga ik om met weerstand tegen samenwerking?", ans.text)
    assert row["comment"] == "Ik miste concrete stappen"
    assert [c["chunk_id"] for c in row["citations"]] == [c.chunk_id for c in ans.citations]
    assert all("text" not in c for c in row["citations"])
    assert service.rate(conv, 0, True) == fid  # changing the rating updates the same row
    assert [r["rating"] for r in service.feedback.all()] == ["up"]
    assert service.rate(conv, 0, None) is None and service.feedback.all() == []
    with pytest.raises(IndexError):
        service.rate(conv, 5, True)


def test_app_py_is_the_thin_entry_to_the_package(repo_root: Path) -> None:
    import subprocess
    import sys

    code = ("import app, assistant.web as web; "
            "assert app.build_app is web.build_app and app.create_app is web.create_app; "
            "assert callable(app.main); print('ok')")
    proc = subprocess.run([sys.executable, "-c", code], cwd=repo_root, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr[-2000:]
