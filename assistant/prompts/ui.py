"""Texts of the web app (app.py, assistant/service.py, assistant/web/)."""

from __future__ import annotations

# --- web app (app.py, assistant/service.py, assistant/feedback.py) ---------------------------
UI = {
    "title": "Samenwerkwijzer",
    "intro": (
        "Vraag advies over **samenwerken in het onderwijs**: met ouders, jeugdzorg, de lerarenopleiding "
        "of andere partners. Elk antwoord komt uit de bronnen en noemt de passages die het gebruikt; "
        "klik op een nummer zoals [1] om de passage te openen."
    ),
    "tab_chat": "Vraag & antwoord",
    "tab_prep": "Overleg voorbereiden",
    "tab_sources": "Bronnen",
    "chat_label": "Gesprek",
    "chat_placeholder": "Stel een vraag over samenwerken in het onderwijs. Je kunt daarna doorvragen.",
    "question_label": "Je vraag",
    "question_placeholder": "Bijvoorbeeld: Hoe bouw ik vertrouwen op met ouders en jeugdzorg?",
    "send": "Vraag",
    "new_chat": "Nieuw gesprek",
    "examples": "Voorbeeldvragen",
    "sources_heading": "Bronnen bij het antwoord",
    "sources_empty": "Stel een vraag: hier verschijnen de passages waarop het antwoord steunt.",
    "sources_none": "Bij dit antwoord zijn geen bronpassages aangehaald.",
    "sources_older": "Eerdere antwoorden",
    "sources_turn": "Antwoord {n}",
    "searched_as": "Gezocht als",
    "quoted": "Aangehaald",
    "page": "p. {page}",
    "thinking": "Ik zoek in de bronnen…",
    "error": "Dat lukte niet: {message}",
    "unexpected": "er ging onverwacht iets mis. Probeer het opnieuw; blijft het misgaan, meld het dan.",
    "feedback_hint": (
        "Was het antwoord bruikbaar? Geef een duim omhoog of omlaag bij het antwoord; "
        "een toelichting kun je hieronder kwijt."
    ),
    "comment_label": "Toelichting bij je beoordeling (optioneel)",
    "comment_placeholder": "Wat miste je, of wat klopte er niet?",
    "comment_send": "Toelichting versturen",
    "feedback_thanks_up": "Dank je! Je duim omhoog is opgeslagen.",
    "feedback_thanks_down": "Dank je! Je duim omlaag is opgeslagen; we gebruiken hem om de assistent te verbeteren.",
    "feedback_removed": "Je beoordeling is ingetrokken.",
    "feedback_comment_saved": "Je toelichting is opgeslagen.",
    "feedback_rate_first": "Geef eerst een duim omhoog of omlaag bij een antwoord; daarna kun je een toelichting geven.",
    "feedback_empty_comment": "Typ eerst een toelichting.",
    "feedback_not_answer": "Alleen antwoorden van de assistent kun je beoordelen.",
    "prep_intro": (
        "Bereid een overleg met partners voor: vul het onderwerp, de partners en het doel in. "
        "Je krijgt een voorbereiding met agendapunten, vragen en valkuilen, elk punt met bron."
    ),
    "prep_topic": "Onderwerp",
    "prep_topic_placeholder": "Bijvoorbeeld: samenwerking met de jeugdzorg rond een leerling",
    "prep_partners": "Partners (met komma's gescheiden)",
    "prep_partners_placeholder": "Bijvoorbeeld: ouders, jeugdzorg, intern begeleider",
    "prep_goal": "Doel van het overleg",
    "prep_goal_placeholder": "Bijvoorbeeld: afspraken maken over wie wat doet",
    "prep_button": "Maak voorbereiding",
    "prep_download": "Download als Markdown",
    "prep_empty": "De voorbereiding verschijnt hier.",
    "docs_intro": "Deze documenten staan in de index. Het antwoord op een vraag komt alleen uit deze bronnen.",
    "docs_headers": ["Titel", "Organisatie", "Jaar", "Passages", "Bestand"],
    "docs_count": "{docs} documenten, {chunks} passages.",
    "upload_label": "Documenten toevoegen (.pdf, .docx, .odt, .html, .txt of .md; maximaal {mb:g} MB per bestand)",
    "upload_button": "Toevoegen aan de bronnen",
    "upload_none": "Kies eerst een of meer bestanden.",
    "upload_added": "Toegevoegd en geïndexeerd: {names}.",
    "upload_rejected": "Niet toegevoegd:",
    "upload_index_failed": (
        "Het indexeren is mislukt ({message}). De nieuwe bestanden zijn weer verwijderd; "
        "de bestaande bronnen en de index zijn onveranderd."
    ),
    "upload_progress": "Bezig met indexeren…",
    "upload_queued": (
        "In de wachtrij om te indexeren: plaats {place}. Er wordt één upload tegelijk geïndexeerd; "
        "vragen worden intussen gewoon beantwoord."
    ),
    "upload_embedding": "Bezig met indexeren: {done} van {total} {stage} verwerkt…",
    "upload_stages": {"passages": "passages", "sentences": "zinnen", "keys": "zoeksleutels"},
    "upload_title_ignored": (
        "De titel is niet gebruikt: een titel geldt alleen als je één bestand toevoegt. "
        "Organisatie en jaar zijn wel bij elk bestand opgeslagen."
    ),
    "upload_metadata_left": (
        "Let op: de gegevens van deze bestanden konden niet uit corpus/metadata.toml worden gehaald "
        "({message}); pas het bestand zelf aan."
    ),
    "upload_copy_failed": "de bestanden konden niet in de bronnenmap worden gezet ({message})",
    "details_label": "Gegevens voor de bronvermelding (optioneel)",
    "details_title": "Titel (alleen bij één bestand)",
    "details_author": "Auteur of organisatie",
    "details_year": "Jaar",
    "details_hint": (
        "Leeg gelaten: de titel en auteur uit de PDF zelf, anders de eerste kop of de bestandsnaam; "
        "geen jaar. Later aanpassen kan in corpus/metadata.toml."
    ),
    "field_too_long": "te lang ({n} tekens; maximaal {limit})",
    "field_year": "geen jaartal; vul een jaar in zoals 2024 of laat het leeg",
    "reason_type": (
        "bestandstype {suffix} wordt niet ondersteund (wel: .pdf, .docx, .odt, .html, .txt en .md)"
    ),
    "reason_legacy": "het oude bestandstype {suffix} wordt niet gelezen: sla het op als {modern} en upload het opnieuw",
    "reason_name": "ongeldige bestandsnaam (geen mappen of '..' toegestaan)",
    "reason_size": "te groot ({mb:.1f} MB; maximaal {limit:g} MB)",
    "reason_empty": "leeg bestand",
    "reason_chars": (
        "te veel tekst om in één upload te indexeren ({n} tekens; maximaal {limit} tekens per upload). "
        "Splits het document in delen, of laat een beheerder het toevoegen met `assistant index`"
    ),
    "reason_duplicate": "staat al in de bronnen (als {name})",
    "reason_missing": "het bestand is niet goed ontvangen; probeer het opnieuw",
    "reason_timeout": "het lezen duurde langer dan {seconds} s; het bestand is niet toegevoegd",
    "reason_in_progress": "wordt al toegevoegd (een andere upload met hetzelfde bestand is bezig)",
    "reason_corpus_full": (
        "de bronnen zijn vol ({mb:.0f} MB; maximaal {limit:g} MB). Vraag een beheerder ruimte te maken"
    ),
    "upload_busy_session": (
        "Je hebt al {n} uploads in de wachtrij. Wacht tot die klaar zijn en probeer het dan opnieuw."
    ),
    "upload_busy_address": (
        "Vanaf dit netwerkadres staan al {n} uploads in de wachtrij. Probeer het over een paar minuten opnieuw."
    ),
    "upload_busy_total": (
        "De wachtrij voor uploads is vol ({mb:.0f} MB wacht al). Probeer het over een paar minuten opnieuw."
    ),
    "reason_no_suffix": "(geen)",
    "upload_too_many_names": "Te veel bestanden met de naam {name}.",
    "fatal": "Fout: {message}",
    "answer_json": "antwoord (JSON)",
    "auth_incomplete": "Zet zowel ASSISTANT_AUTH_USER als ASSISTANT_AUTH_PASSWORD, of geen van beide.",
    "serve_building": "Geen index in {index_dir}: de index wordt nu gebouwd…",
    "serve_built": "Index gebouwd: {files} bestanden, {chunks} passages.",
    "serve_skipped": "  overgeslagen: {name}: {reason}",
    "serve_running": "Samenwerkwijzer draait op http://{host}:{port}",
    "serve_reconciled": "Nog niet geïndexeerd en nu bijgewerkt in de index: {names}.",
    "serve_exposed_no_login": (
        "Samenwerkwijzer zou op {host} bereikbaar zijn voor het hele netwerk, zonder inloggen. Zet "
        "ASSISTANT_AUTH_USER en ASSISTANT_AUTH_PASSWORD, of start bewust zonder login met "
        "--allow-no-login (ASSISTANT_ALLOW_NO_LOGIN=true)."
    ),
    "serve_exposed_warning": (
        "Let op: Samenwerkwijzer is op {host} zonder login bereikbaar voor iedereen op het netwerk; "
        "iedereen kan er documenten aan toevoegen."
    ),
    "request_unknown_host": (
        "Onbekende hostnaam. Open Samenwerkwijzer via het adres dat de beheerder instelde "
        "(ASSISTANT_PUBLIC_URL) of via 127.0.0.1."
    ),
    "request_foreign_origin": "Verzoeken vanaf een andere website worden geweigerd.",
    "request_too_large": "Het verzoek is te groot (maximaal {kb} kB).",
    "request_malformed": "Ongeldig verzoek: controleer de gegevens en probeer het opnieuw.",
    "login_message": "Log in om Samenwerkwijzer te gebruiken.",
    # the login page only reacts to a wrong password, not to a refusal: the rule is shown up front
    "login_limit_note": "Na {n} mislukte pogingen kun je {minutes} minuten niet inloggen.",
    "login_too_many": "Te veel mislukte inlogpogingen. Probeer het over {minutes} minuten opnieuw.",
    "turns_dropped": (
        "Dit gesprek houdt de laatste {n} vragen bij; oudere vragen en antwoorden zijn weggehaald en "
        "tellen voor vervolgvragen niet meer mee. Begin een nieuw gesprek voor een nieuw onderwerp."
    ),
}

EXAMPLE_QUESTIONS = [
    "Hoe bouw ik vertrouwen op met ouders en jeugdzorg?",
    "Wat zijn de vijf dimensies van care in een samenwerkingsrelatie?",
    "Hoe ga ik om met weerstand tegen een nieuwe samenwerking?",
    "Welke vormen van samenwerking tussen scholen en de lerarenopleiding zijn er?",
    "Wat is een netwerkkaart en waarom helpt die?",
]
