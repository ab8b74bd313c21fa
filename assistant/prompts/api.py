"""Texts of the OpenAI-compatible API (assistant/api/) and the MCP server: error messages (in the
``error.message`` of OpenAI's error shape), the tools' descriptions and the commands' help texts."""

from __future__ import annotations

API = {
    # errors: 400
    "not_json": "Het verzoek is geen geldige JSON ({msg}). Stuur een JSON-object. (The request body is not valid JSON.)",
    "not_utf8": "Het verzoek is geen geldige UTF-8-tekst. (The request body is not valid UTF-8.)",
    "not_object": "Het verzoek moet een JSON-object zijn. (The request body must be a JSON object.)",
    "field": "Het veld {field!r} is ongeldig: {reason} (Invalid field {field!r}.)",
    "messages_missing": (
        'Het veld "messages" ontbreekt of is leeg: stuur een lijst met minstens één bericht van de gebruiker. '
        '("messages" must be a non-empty list.)'
    ),
    "message_item": (
        'Bericht {i} moet een object {{"role", "content"}} zijn. (messages[{i}] must be an object with role and content.)'
    ),
    "message_role": (
        'Bericht {i} heeft rol {role!r}: alleen "system", "developer", "user" en "assistant" kunnen gebruikt worden. '
        "(Role {role!r} is not supported.)"
    ),
    "message_content": (
        "De inhoud van bericht {i} moet tekst zijn (of een lijst met tekstdelen). "
        "(messages[{i}].content must be text.)"
    ),
    "last_not_user": (
        "Het laatste bericht moet een vraag van de gebruiker zijn (rol \"user\"). "
        "(The last message must have role \"user\".)"
    ),
    "unsupported": (
        "De parameter {param!r} wordt niet ondersteund: Samenwerkwijzer geeft één antwoord uit zijn bronnen, "
        "zonder tools of functies. Laat de parameter weg. ({param!r} is not supported.)"
    ),
    "n": "Samenwerkwijzer geeft één antwoord per verzoek: laat \"n\" weg of zet hem op 1. (Only n=1 is supported.)",
    "search_query": 'Verwacht een object met "query" (tekst) en eventueel "k" (1 tot {max_k}). '
                    '(Expected {{"query": text, "k": 1..{max_k}}}.)',
    # 401, 403, 404
    "no_key": (
        "Er is geen API-sleutel meegestuurd. Stuur de kopregel Authorization: Bearer <sleutel>. "
        "(Missing API key.)"
    ),
    "wrong_key": "De API-sleutel is onjuist. Vraag de beheerder om een geldige sleutel. (Incorrect API key.)",
    "not_local": (
        "Zonder API-sleutels beantwoordt de API alleen verzoeken van deze computer (127.0.0.1, localhost). "
        "Stel sleutels in met ASSISTANT_API_KEYS of `assistant api-key new`. (Without keys the API is local only.)"
    ),
    "unknown_model": (
        "Het model {model!r} bestaat niet. Gebruik het model \"samenwerkwijzer\". "
        "(The model {model!r} does not exist.)"
    ),
    # 413, 422, 429, 503, 500
    "too_large": (
        "Het verzoek is te groot ({size} bytes; maximaal {limit}). Stuur een korter gesprek. "
        "(Request body too large.)"
    ),
    "too_many_messages": (
        "Het gesprek is te lang ({n} berichten; maximaal {limit}). Begin een nieuw gesprek. "
        "(Too many messages.)"
    ),
    "rate_limited": (
        "Te veel verzoeken: maximaal {n} per minuut. Probeer het over {seconds} seconden opnieuw. "
        "(Rate limit reached.)"
    ),
    "unavailable": "De assistent is nog niet beschikbaar: {message}",
    "unexpected": (
        "Er ging onverwacht iets mis. Probeer het opnieuw; blijft het misgaan, meld het dan aan de beheerder. "
        "(Unexpected server error.)"
    ),
    # starting the server
    "keys_required": (
        "De API luistert op {host}, maar er zijn geen API-sleutels ingesteld: zonder sleutels draait de API "
        "alleen op 127.0.0.1. Maak een sleutel met `assistant api-key new` of stel ASSISTANT_API_KEYS in. "
        "(Refusing to listen on {host} without API keys.)"
    ),
    "key_file_unreadable": "Het sleutelbestand {path} kan niet gelezen worden: {error}",
    "key_file_line": (
        "{path}, regel {n}: geen sha256-hash van een sleutel (64 hexadecimale tekens). "
        "Maak sleutels met `assistant api-key new`."
    ),
    "running": "Samenwerkwijzer-API op http://{host}:{port}/v1 (documentatie: http://{host}:{port}/docs)",
    "key_created": (
        "Nieuwe API-sleutel (wordt maar één keer getoond; bewaar hem goed):\n{key}\n"
        "Opgeslagen als hash in {path}. Herstart `assistant api` om hem te gebruiken."
    ),
    # the local documentation page
    "docs_title": "Samenwerkwijzer-API",
    "docs_intro": (
        "Een OpenAI-compatibele API: gebruik {base} als base_url in elke OpenAI-client. "
        "Hieronder staan de routes met hun invoer, uit {spec}."
    ),
}

# the model the API serves, and its description in /v1/models
MODEL_DESCRIPTION = "Samenwerkwijzer: antwoorden over samenwerken in het onderwijs, met bronvermelding"

# OpenAPI summaries and descriptions of the routes (shown on /docs)
ROUTES = {
    "chat": (
        "Een vraag beantwoorden",
        "OpenAI-compatibel. Het laatste bericht (rol user) is de vraag, de berichten ervoor het gesprek. "
        "Het antwoord bevat [n]-verwijzingen; de bronnen staan in het extra veld citations (n, title, "
        "section, page, quote, chunk_id), met abstained en reason als de bronnen de vraag niet dekken. "
        "Met stream: true komen server-sent events, het laatste chunk met citations, dan data: [DONE].",
    ),
    "models": ("De modellen", "Eén model: samenwerkwijzer, met het ingestelde taalmodel in metadata."),
    "model": ("Eén model", "Het model samenwerkwijzer."),
    "search": ("Passages zoeken", "Dezelfde objecten als `assistant search --json`."),
    "health": ("Status", "ok en de index-generatie, of 503 als er geen index is."),
}

# MCP tools (assistant mcp): names stay English (clients show them), descriptions are Dutch
MCP = {
    "instructions": (
        "Samenwerkwijzer zoekt en antwoordt in Nederlandse bronnen over samenwerken in het onderwijs "
        "(met ouders, jeugdzorg, de lerarenopleiding en andere partners). Elk antwoord noemt zijn bronnen."
    ),
    "search": (
        "Zoek passages in de bronnen over samenwerken in het onderwijs. Geeft per passage de titel, de sectie, "
        "de pagina, de tekst en de score, de beste eerst."
    ),
    "search_query": "Waar je naar zoekt, in gewone woorden (bijvoorbeeld: vertrouwen opbouwen met ouders).",
    "search_k": "Hoeveel passages (1 tot 20).",
    "ask": (
        "Beantwoord een vraag uit de bronnen. Geeft het antwoord met [n]-verwijzingen en de aangehaalde passages "
        "(titel, sectie, pagina, citaat), of zegt dat de bronnen de vraag niet dekken (abstained, met reason)."
    ),
    "ask_question": "De vraag, in het Nederlands of Engels.",
    "ask_history": (
        "Eerdere berichten van het gesprek (rol user of assistant, content tekst), de oudste eerst; "
        "een vervolgvraag wordt ermee gelezen."
    ),
    "prepare": (
        "Bereid een overleg met een samenwerkingspartner voor: een voorbereidingsblad met per onderdeel "
        "punten uit de bronnen, elk met bronvermelding. Geeft het blad als Markdown en als gestructureerde data."
    ),
    "prepare_topic": "Het onderwerp van het overleg.",
    "prepare_partners": "De partners, gescheiden door komma's (bijvoorbeeld: ouders, jeugdzorg).",
    "prepare_goal": "Het doel van het overleg (mag leeg).",
}

# the command line
API_HELP = {
    "api": {
        "help": "start de OpenAI-compatibele API (en /docs) met uvicorn",
        "--host": "adres (standaard 127.0.0.1 of ASSISTANT_API_HOST; een ander adres vraagt API-sleutels)",
        "--port": "poort (standaard 8765 of ASSISTANT_API_PORT)",
    },
    "api-key": {
        "help": "beheer API-sleutels (alleen hun hash wordt bewaard)",
        "action": "new: maak een sleutel, toon hem één keer en bewaar zijn hash in het sleutelbestand",
    },
    "mcp": {
        "help": "start de MCP-server (Model Context Protocol) over stdio: zoeken, vragen, overleg voorbereiden",
    },
}
