"""Command-line interface: ``assistant index | search | ...``.

Heavy modules load inside the commands, so ``assistant --help`` is instant. Errors a user can act
on print one clear line on stderr and exit non-zero, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .errors import AssistantError
from .prompts import CLI, HELP
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
        print(CLI["index_up_to_date"].format(files=s.files, chunks=s.chunks, seconds=s.seconds))
    else:
        print(CLI["index_built"].format(files=s.files, chunks=s.chunks, embedded=s.embedded, reused=s.reused,
                                        merged=s.merged_duplicates, units=s.units_embedded, seconds=s.seconds))
        for key, names in (("added", s.added), ("changed", s.changed), ("removed", s.removed)):
            if names:
                print(CLI["index_change"].format(label=CLI["index_changes"][key], names=", ".join(names)))
    for w in s.warnings:
        print(CLI["index_warning"].format(warning=w))
    if s.skipped:
        print(CLI["index_skipped"].format(n=len(s.skipped)))
        for name, reason in s.skipped:
            print(CLI["index_skipped_item"].format(name=name, reason=reason))


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
    from .render import clip
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
        print(f"    {clip(c.text, 400)}\n")
    return 0


def _engine(settings: Settings) -> Any:
    from .answer.chain import AnswerEngine

    return AnswerEngine(settings)


def _print_answer(ans: Any) -> None:
    from .render import citation_lines

    print(ans.text)
    if ans.citations:
        print(CLI["sources"])
        for line in citation_lines(ans.citations):
            print(line)


def cmd_ask(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if args.jsonl:
        from .jsonl import ask_jsonl

        return ask_jsonl(_engine(settings))
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
            print("\n" + CLI["searched_with"].format(query=ans.query))
    return 0


def stream_to(out: Any, parts: Any) -> Any:
    """Print an answer as it streams (verified text only) and return it. On a terminal a progress
    line with the seconds waited stands where the answer will come, until its first sentence."""
    from .prompts import LLM_PROGRESS
    from .records import Answer, Progress

    printed, waiting = "", False
    for part in parts:
        if isinstance(part, Progress):
            if out.isatty() and not printed:
                line = LLM_PROGRESS.get(part.language, LLM_PROGRESS["nl"]).format(seconds=part.seconds)
                out.write("\r\033[K" + line)
                out.flush()
                waiting = True
            continue
        if waiting:
            out.write("\r\033[K")  # the progress line goes; the answer takes its place
            waiting = False
        if isinstance(part, Answer):
            text = part.text
            # the final answer continues what was shown (a fallback adds its notice after it)
            out.write(text[len(printed):] if text.startswith(printed) else ("\n\n" if printed else "") + text)
            out.write("\n")
            out.flush()
            return part
        out.write(part)
        out.flush()
        printed += part
    raise RuntimeError("the answer stream ended without an answer")


def cmd_chat(args: argparse.Namespace) -> int:
    """A terminal conversation that keeps its history (empty line or Ctrl-D ends it)."""
    settings = _settings(args)
    engine = _engine(settings)
    history: list[dict[str, str]] = []
    prior: list[str] = []
    print(CLI["chat_banner"])
    while True:
        try:
            q = input(CLI["chat_prompt"]).strip()
        except EOFError:
            print()
            return 0
        if not q:
            return 0
        if q in ("/nieuw", "/new"):
            history, prior = [], []
            print(CLI["chat_new"])
            continue
        print()
        try:
            ans = stream_to(sys.stdout, engine.stream(q, history, prior))
        except AssistantError as e:
            print(CLI["error"].format(message=e))
            continue
        if ans.citations:
            from .render import citation_lines

            print(CLI["sources"])
            for line in citation_lines(ans.citations):
                print(line)
        if ans.query != q:
            print(CLI["searched_with"].format(query=ans.query))
        history += [{"role": "user", "content": q}, {"role": "assistant", "content": ans.text}]
        prior = [c.chunk_id for c in ans.citations]


def cmd_prepare(args: argparse.Namespace) -> int:
    from .prepare import prepare

    settings = _settings(args)
    sheet = prepare(_engine(settings), args.topic, args.partners or "", args.goal or "")
    if args.out:  # a file for a Markdown viewer; the terminal gets plain text
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(sheet.to_markdown(for_file=True), encoding="utf-8")
        print(CLI["prep_written"].format(path=out))
    elif args.json:
        print(json.dumps(sheet.to_json(), ensure_ascii=False, indent=1))
    else:
        print(sheet.to_text(), end="")
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
    print(CLI["reports"].format(paths=", ".join(str(p) for p in paths.values())))
    if args.compare:
        old = json.loads(Path(args.compare).read_text(encoding="utf-8"))
        print("\n" + compare(result, old))
    if args.gate:
        thresholds = json.loads(Path(args.gate).read_text(encoding="utf-8"))
        fails = check_thresholds(result, thresholds)
        if fails:
            print(CLI["gate_failed"].format(fails="\n  ".join(fails)), file=sys.stderr)
            return 4
        print(CLI["gate_passed"])
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Build the index if missing, then start the web app (assistant.web)."""
    from .web import main as serve

    settings = _settings(args)
    if args.allow_no_login:
        settings = settings.model_copy(update={"allow_no_login": True})
    return int(serve(settings, host=args.host, port=args.port) or 0)


def cmd_api(args: argparse.Namespace) -> int:
    """The OpenAI-compatible API (assistant/api/) on uvicorn."""
    from .api.server import serve

    return serve(_settings(args), host=args.host, port=args.port)


def cmd_api_key(args: argparse.Namespace) -> int:
    from .api.server import new_key_command

    return new_key_command(_settings(args))


def cmd_mcp(args: argparse.Namespace) -> int:
    from .api.mcp_server import serve_stdio

    return serve_stdio(_settings(args))


def cmd_feedback(args: argparse.Namespace) -> int:
    from .feedback import export_command

    return int(export_command(_settings(args), args) or 0)


def cmd_bench(args: argparse.Namespace) -> int:
    from .errors import ConfigError

    try:  # the checkout's benchmarks package (installed with the project, not part of `assistant`)
        import benchmarks
        from benchmarks import engines
    except ImportError as e:
        raise ConfigError(CLI["no_benchmarks"].format(error=e)) from e
    run = engines.main if getattr(args, "engines", False) else benchmarks.main
    return int(run(_settings(args), args) or 0)


def _command(sub: Any, name: str, fn: Callable[[argparse.Namespace], int]) -> argparse.ArgumentParser:
    """The subcommand ``name``, its help line and the ``--index-dir`` every command takes."""
    sp = sub.add_parser(name, help=HELP[name]["help"], description=HELP[name]["help"])
    sp.set_defaults(func=fn)
    sp.add_argument("--index-dir", help=HELP["--index-dir"])
    return sp


def _flags(sp: argparse.ArgumentParser, name: str, *flags: str) -> None:
    for flag in flags:
        sp.add_argument(flag, action="store_true", help=HELP[name][flag])


def _add_index(sub: Any) -> None:
    sp = _command(sub, "index", cmd_index)
    sp.add_argument("--corpus", help=HELP["index"]["--corpus"])
    _flags(sp, "index", "--rebuild", "--json", "--progress")


def _add_search(sub: Any) -> None:
    h = HELP["search"]
    sp = _command(sub, "search", cmd_search)
    sp.add_argument("query", help=h["query"])
    sp.add_argument("-k", type=int, help=h["-k"])
    _flags(sp, "search", "--json")
    sp.add_argument("--retriever", choices=["hybrid", "bm25", "dense"], help=HELP["--retriever"])


def _add_ask(sub: Any) -> None:
    sp = _command(sub, "ask", cmd_ask)
    sp.add_argument("question", nargs="*", help=HELP["ask"]["question"])
    _flags(sp, "ask", "--json", "--jsonl")
    sp.add_argument("--retriever", choices=["hybrid", "bm25", "dense"], help=HELP["--retriever"])


def _add_chat(sub: Any) -> None:
    _command(sub, "chat", cmd_chat)


def _add_prepare(sub: Any) -> None:
    h = HELP["prepare"]
    sp = _command(sub, "prepare", cmd_prepare)
    sp.add_argument("--topic", required=True, help=h["--topic"])
    sp.add_argument("--partners", default="", help=h["--partners"])
    sp.add_argument("--goal", default="", help=h["--goal"])
    sp.add_argument("--out", help=h["--out"])
    _flags(sp, "prepare", "--json")


def _add_eval(sub: Any) -> None:
    h = HELP["eval"]
    sp = _command(sub, "eval", cmd_eval)
    sp.add_argument("--qa", help=h["--qa"])
    sp.add_argument("--retriever", choices=["all", "hybrid", "bm25", "dense"], default="all")
    sp.add_argument("-k", type=int, default=5, help=h["-k"])
    sp.add_argument("--kind", action="append", help=h["--kind"])
    _flags(sp, "eval", "--no-answers", "--no-scope")
    for option in ("--out", "--compare", "--gate", "--generator"):
        sp.add_argument(option, help=h[option])
    _flags(sp, "eval", "--judge")


def _add_doctor(sub: Any) -> None:
    _flags(_command(sub, "doctor", cmd_doctor), "doctor", "--json")


def _add_serve(sub: Any) -> None:
    h = HELP["serve"]
    sp = _command(sub, "serve", cmd_serve)
    sp.add_argument("--corpus", help=h["--corpus"])
    sp.add_argument("--host", default=None, help=h["--host"])
    sp.add_argument("--port", type=int, default=None, help=h["--port"])
    sp.add_argument("--allow-no-login", action="store_true", help=h["--allow-no-login"])


def _add_api(sub: Any) -> None:
    h = HELP["api"]
    sp = _command(sub, "api", cmd_api)
    sp.add_argument("--host", default=None, help=h["--host"])
    sp.add_argument("--port", type=int, default=None, help=h["--port"])
    key = _command(sub, "api-key", cmd_api_key)
    key.add_argument("action", choices=["new"], help=HELP["api-key"]["action"])
    _command(sub, "mcp", cmd_mcp)


def _add_feedback(sub: Any) -> None:
    sp = _command(sub, "feedback", cmd_feedback)
    sp.add_argument("action", choices=["export"], help=HELP["feedback"]["action"])
    sp.add_argument("--out", help=HELP["feedback"]["--out"])


def _add_bench(sub: Any) -> None:
    h = HELP["bench"]
    sp = _command(sub, "bench", cmd_bench)
    sp.add_argument("--scale", type=int, action="append", help=h["--scale"])
    sp.add_argument("--json", dest="json_out", help=h["--json"])
    _flags(sp, "bench", "--quick", "--engines")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="assistant", description=HELP["description"])
    p.add_argument("-v", "--verbose", action="store_true", help=HELP["--verbose"])
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for add in (_add_index, _add_search, _add_ask, _add_chat, _add_prepare, _add_eval, _add_doctor, _add_serve,
                _add_api, _add_feedback, _add_bench):
        add(sub)
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
