"""Texts of ``assistant doctor``: one status line per check and, when it fails, what to fix."""

from __future__ import annotations

# the one-line round trip the doctor asks the configured language model
DOCTOR_PING = "Antwoord met precies één woord: ok"

DOCTOR = {
    "check_broke_fix": "voer uit met -v voor details",
    "index_fix": "voer `assistant index` uit (of `--rebuild`)",
    "index_ok": "{documents} documenten, {passages} passages, {units} ({generation} in {index_dir})",
    "units_yes": "met zinsvectoren",
    "units_no": "zonder zinsvectoren",
    "embedder_no_vector": "{embedder} gaf geen vector",
    "embedder_fix": "controleer ASSISTANT_EMBEDDER",
    "embedder_fix_load": "controleer ASSISTANT_EMBEDDER en ASSISTANT_ST_MODEL",
    "embedder_ok": "{embedder}: {dims} dimensies, geladen en 1 zin ingebed in {seconds:.2f} s",
    "thresholds_ok": "{embedder}: weigeren onder cosinus {dense:.2f}, steun vanaf {support:.2f} (gekalibreerd)",
    "thresholds_none": "{embedder} is niet gekalibreerd: gelijkenis telt niet mee bij weigeren en bij steun",
    "thresholds_fix": "meet ze met `python -m assistant.evaluation.calibrate` en zet de uitvoer in "
                      "assistant/data/thresholds.toml (of zet ASSISTANT_ABSTAIN_MIN_DENSE)",
    "chroma_skipped": "niet gecontroleerd: er is geen bruikbare index",
    "chroma_server": "server {host}",
    "chroma_embedded": "ingebed in {path}",
    "chroma_mismatch": "{where}: {n} vectoren voor {passages} passages",
    "chroma_fix": "voer `assistant index --rebuild` uit",
    "chroma_ok": "{where}: {n} vectoren",
    "chroma_search_works": ", zoeken werkt",
    "generator_none": (
        "extractive (geen taalmodel ingesteld; ASSISTANT_GENERATOR=openai of ollama om er een te gebruiken)"
    ),
    "generator_failed": "{generator} op {where}: {kind} ({error})",
    "generator_ok": "{generator} op {where} bereikbaar ({seconds:.2f} s, {models} modellen)",
    "model_unset": "(geen ASSISTANT_LLM_MODEL)",
    "models_none": "geen",
    "model_missing": "{model} staat niet op de server (wel: {shown})",
    "model_ok": "{model} staat op de server",
    "round_trip_failed": "{kind} na {seconds:.2f} s ({detail})",
    "round_trip_empty": "leeg antwoord: het model zegt niets terug. Heeft het een chat-template, en is het een "
                        "instruct-model (geen basismodel)?",
    "round_trip_runaway": "“{reply}…”: het model houdt niet op (afgebroken na {max_tokens} tokens): "
                          "een basismodel of een verkeerd chat-template?",
    "round_trip_ok": "“{reply}”: eerste token na {first:.2f} s, klaar na {total:.2f} s",
    "round_trip_slow": "het eerste token komt laat: overweeg een kleiner model of een hogere ASSISTANT_LLM_TIMEOUT",
    "report_title": "Samenwerkwijzer doctor",
    "report_ok": "Alles in orde.",
    "report_bad": "{n} probleem/problemen: zie de regels met ✗.",
}

# how the doctor names a failure of the language model (the kinds of assistant/answer/llmcall.py)
DOCTOR_KIND = {
    "unreachable": "niet bereikbaar", "dns": "onbekende hostnaam (DNS)", "auth": "toegang geweigerd",
    "model": "model niet gevonden", "rate_limit": "overbelast (429)", "server": "serverfout",
    "timeout": "geen antwoord op tijd", "stalled": "viel stil", "cut": "antwoord afgebroken",
    "malformed": "onleesbaar antwoord", "empty": "leeg antwoord",
}

# what to do about it ({base}: the variable with the server's address; {model}: the model configured)
DOCTOR_FIX = {
    "unreachable": "start de server (Ollama: `ollama serve`; llama.cpp: `llama-server …`) of corrigeer {base}",
    "dns": "de hostnaam bestaat niet: corrigeer {base}",
    "auth": "zet een geldige sleutel in ASSISTANT_LLM_API_KEY",
    "model": "haal het model op (`ollama pull {model}`) of kies er een uit de lijst met ASSISTANT_LLM_MODEL",
    "rate_limit": "de server is overbelast: probeer later of verlaag het gebruik",
    "server": "bekijk het log van de LLM-server",
    "timeout": "de server is te traag voor ASSISTANT_LLM_TIMEOUT: kies een kleiner model of verhoog de timeout",
    "empty": "kies een instruct-model (Ollama: een naam met -instruct; GGUF: een -it- of -instruct-bestand) en geef "
             "de server het chat-template: `llama-server --jinja`, of `python -m llama_cpp.server --chat_format "
             "chatml` (Qwen) / `--chat_format gemma` met ASSISTANT_LLM_SYSTEM_IN_USER=1 (Gemma); zie de README",
    "runaway": "gebruik een instruct-model met zijn chat-template (`llama-server --jinja`, of llama_cpp.server met "
               "de juiste --chat_format); ASSISTANT_LLM_MAX_TOKENS begrenst intussen elk antwoord",
    "other": "bekijk het log van de LLM-server; de assistent valt intussen terug op extractieve antwoorden",
}
