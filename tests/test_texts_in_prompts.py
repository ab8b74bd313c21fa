"""Every user-facing text lives in ``assistant/prompts/``.

Anywhere else in ``assistant/``, a Dutch string literal handed straight to an exception (or
``super().__init__`` in one), ``print``, a stream's ``write``, a list of messages' ``append`` or a
doctor ``Check`` fails this test, and so does any literal text in an argparse ``help=`` or
``description=`` of the command line (``assistant/cli.py``). Regexes and word lists are never passed
to those, so the data the answer path matches against cannot raise a false alarm; English messages
and the help of developer tools (``python -m assistant.evaluation...``) may stay."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "assistant"
PROMPTS = PACKAGE / "prompts"
COMMAND_LINE = "cli.py"  # every help text of this module is for a user, in any language

# Dutch words that are not English words too: one of them in a literal makes it Dutch text.
DUTCH = frozenset("""de het een niet geen zijn moet moeten kan kunnen wordt worden uit bij dat deze dit
alleen als ook nog eerst zonder naar voor van te om wel leeg lege bestand bestanden bronnen bronnenmap
vraag vragen antwoord antwoorden tekens maximaal voer gebouwd staat bijvoorbeeld controleer kies stel
zet gebruik typ overgeslagen ongeldig ongeldige onbekende beschadigde versleutelde zoekmethode aantal
taalmodel gevonden gelezen geladen fout mislukt gescheiden doel onderwerp drempel drempels verwacht
regel onverwachte beoordeling documenten vectoren zoeken werkt bereikbaar modellen probleem problemen
gecontroleerd ingesteld pagina nieuw gewijzigd verwijderd hergebruikt standaard gezocht alles
meer orde jij""".split())
WORD = re.compile(r"[^\W\d_]+")
SINK_KEYWORDS = {"help", "description", "epilog"}
SINK_CALLS = {"print", "write", "append", "Check", "__init__", "_progress", "tqdm"}  # __init__: super().__init__(message)


def _text(node: ast.AST) -> str:
    """The literal text of a str constant or an f-string (its placeholders left out)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return " ".join(_text(v) for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _text(node.left) + " " + _text(node.right)
    if isinstance(node, ast.IfExp):
        return _text(node.body) + " " + _text(node.orelse)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return _text(node.func.value)  # "...{x}...".format(x=...)
    return ""


def is_dutch(text: str) -> bool:
    words = [w.lower() for w in WORD.findall(text)]
    return any(w in DUTCH for w in words)


def _name(func: ast.expr) -> str:
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _sink_args(call: ast.Call, any_help: bool) -> list[tuple[ast.expr, bool]]:
    """The arguments that reach a user, each with whether any words (not only Dutch ones) count."""
    name = _name(call.func)
    args = [(kw.value, any_help) for kw in call.keywords if kw.arg in SINK_KEYWORDS]
    if name in SINK_CALLS or name.endswith(("Error", "Exception", "Failure")):
        args += [(a, False) for a in call.args] + [(kw.value, False) for kw in call.keywords
                                                   if kw.arg not in SINK_KEYWORDS]
    return args


def literal_texts(source: str, any_help: bool = False) -> list[tuple[int, str]]:
    """(line, text) of every literal in ``source`` that would reach a user: Dutch text in a sink, or
    (``any_help``) any text in an argparse help."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            for arg, any_words in _sink_args(node, any_help):
                text = _text(arg)
                if is_dutch(text) or (any_words and WORD.search(text)):
                    found.append((arg.lineno, text))
    return found


def offenders() -> list[str]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if PROMPTS in path.parents:
            continue
        for line, text in literal_texts(path.read_text(encoding="utf-8"), path == PACKAGE / COMMAND_LINE):
            out.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {text[:70]!r}")
    return out


def test_no_dutch_text_outside_the_prompts_package():
    found = offenders()
    assert found == [], "move these texts into assistant/prompts/:\n" + "\n".join(found)


@pytest.mark.parametrize("source", [
    'raise ConfigError("Het bestand bestaat niet.")',
    'raise DocumentError(path, f"te groot ({mb} MB; maximaal {limit} MB)")',
    'print(f"Index gebouwd: {n} bestanden")',
    'p.add_argument("--out", help="schrijf de voorbereiding naar dit bestand")',
    'sys.stderr.write("Er is geen index in " + str(d))',
    'Check("index", False, "niet gecontroleerd: er is geen bruikbare index")',
    'print("Alles in orde." if ok else "{n} problemen".format(n=n))',
    'warnings.append(f"{name}: geen UTF-8, gelezen als {encoding}")',
    'super().__init__("De vraag is leeg. Typ een vraag.")',
    'sp.add_argument("--port", help="poort (standaard 7860)")',
])
def test_the_guard_sees_dutch_text_in_every_sink(source):
    assert literal_texts(source), source


def test_any_help_text_of_the_command_line_counts():
    source = 'sp.add_argument("--scale", help="synthetic corpus size")'
    assert literal_texts(source, any_help=True) and not literal_texts(source)


@pytest.mark.parametrize("source", [
    'raise ValueError(f"gold has {len(gold)} labels, predictions {len(pred)}")',
    'STOP = {"de", "het", "een", "van", "niet"}',  # a word list: data, not a message
    'PATTERN = re.compile(r"\\b(de|het|een)\\b niet")',  # a regex: data
    'log.warning("%s: niet UTF-8 van de bron", name)',  # a log line for developers
    'raise ConfigError(ERRORS["no_model"].format(name=name))',  # the text comes from prompts
    'raise ValueError(f"no passages for {doc}: check the index")',  # English, for a developer
    'p = argparse.ArgumentParser(prog="assistant", description=HELP["description"])',
])
def test_the_guard_leaves_data_and_english_alone(source):
    assert literal_texts(source) == []
