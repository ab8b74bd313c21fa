"""The web app's HTML and Markdown: answers, the sources panel, upload reports. Every piece of
source text and user text goes through :func:`esc` (HTML) or :func:`chat_markdown` before it is put
into markup."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .conversation import Conversation, TurnRecord
from .prompts import UI
from .records import Answer
from .render import clip, markdown
from .safe_text import escape_html, escape_markdown
from .upload_transaction import UploadReport

esc = escape_html  # every text put into HTML goes through assistant.safe_text


def chat_markdown(text: str) -> str:
    """A user's or the app's own text for the chat, shown literally
    (:func:`~assistant.safe_text.escape_markdown`); answers go through :func:`answer_markdown`."""
    return escape_markdown(text)


def answer_markdown(ans: Answer, turn: int) -> str:
    """An answer for the chat, made from its statements: text escaped, each ``[n]`` a link to
    passage ``bron-<turn>-<n>`` in the sources panel."""
    return markdown(ans.statements, link=lambda n: f"#bron-{turn}-{n}")


def highlight(passage: str, spans: Sequence[Sequence[int]]) -> tuple[str, bool]:
    """The passage, escaped, with the quoted spans (character offsets) in <mark> and its code
    blocks as <pre> (their text as it is, fences left out); returns (html, whether anything was
    marked)."""
    spans = sorted((int(s), int(e)) for s, e in spans if 0 <= int(s) < int(e) <= len(passage))
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    out = []
    for a, b, code in _segments(passage):
        body = _marked(passage, a, b, merged)
        out.append(f'<pre class="sw-code"><code>{body}</code></pre>' if code else body)
    return "".join(out), bool(merged)


def _marked(passage: str, a: int, b: int, spans: list[tuple[int, int]]) -> str:
    """``passage[a:b]`` escaped, the parts of ``spans`` inside it in <mark>."""
    out, pos = [], a
    for s, e in spans:
        s, e = max(s, a), min(e, b)
        if s >= e:
            continue
        out += [esc(passage[pos:s]), f"<mark>{esc(passage[s:e])}</mark>"]
        pos = e
    out.append(esc(passage[pos:b]))
    return "".join(out)


def _segments(passage: str) -> list[tuple[int, int, bool]]:
    """(start, end, is_code) of the passage's prose and code, the fence lines between them left out."""
    if "```" not in passage:
        return [(0, len(passage), False)]
    from .ingest.clean import fenced_blocks

    lines = passage.split("\n")
    at = [0]
    for line in lines:
        at.append(at[-1] + len(line) + 1)
    out, done = [], 0
    for a, b in fenced_blocks(lines):
        out += [(done, at[a], False), (at[a + 1], max(at[a + 1], at[b] - 1), True)]
        done = min(at[b + 1], len(passage))
    out.append((done, len(passage), False))
    return [x for x in out if x[1] > x[0]]


TITLE_CHARS = 60  # a longer document title is shortened once per document, whole on hover
WHERE_CHARS = 90


def short_title(title: str, limit: int = TITLE_CHARS) -> str:
    """A title that fits one line: up to its subtitle when that is long enough to name it
    ("Thuis in samenwerking: samenwerking tussen …" -> "Thuis in samenwerking…"), else cut at a word."""
    title = " ".join(title.split())
    if len(title) <= limit:
        return title
    head = title.split(": ", 1)[0]
    return head + "…" if 12 <= len(head) < limit else clip(title, limit)


def _where(c: dict[str, Any]) -> str:
    """The passage's place: its innermost heading (the full path on hover) and page."""
    parts = [(c.get("section") or "").split(" › ")[-1]]
    if c.get("page"):
        parts.append(UI["page"].format(page=c["page"]))
    return " · ".join(p for p in parts if p)


def _passage_html(c: dict[str, Any], number: int) -> str:
    n = int(c["n"])
    body, marked = highlight(c.get("text") or "", c.get("spans") or ())
    where = _where(c) or clip(c.get("quote") or "", WHERE_CHARS)
    return (
        f'<details class="sw-source" id="bron-{number}-{n}" data-n="{n}">'
        f'<summary title="{esc(c.get("section") or "")}"><span class="sw-n">[{n}]</span> '
        f'<span class="sw-where">{esc(clip(where, WHERE_CHARS))}</span></summary>'
        + ("" if marked else f'<p class="sw-quoted">{esc(UI["quoted"])}: <mark>{esc(c.get("quote", ""))}</mark></p>')
        + f'<div class="sw-passage">{body}</div>'
        f'<p class="sw-file">{esc(c.get("source", ""))}</p></details>'
    )


def _by_document(citations: Sequence[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The citations grouped by document, in the order each document is first cited."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for c in citations:
        groups.setdefault((c.get("source") or "", c.get("title") or ""), []).append(c)
    return list(groups.values())


def _turn_html(t: TurnRecord, number: int) -> str:
    """One answer's sources: headed by the answer's number (the question on hover), each cited
    document's title once, its passages below it."""
    rows = [f'<section class="sw-turn" id="beurt-{number}">',
            f'<h4 class="sw-turn-q" title="{esc(t.question)}">{esc(UI["sources_turn"].format(n=number))}</h4>']
    if t.rewritten:
        rows.append(f'<p class="sw-query">{esc(UI["searched_as"])}: <em>{esc(t.query)}</em></p>')
    if not t.citations:
        rows.append(f'<p class="sw-none">{esc(UI["sources_none"])}</p>')
    for group in _by_document(t.citations):
        title = group[0].get("title") or group[0].get("source") or ""
        rows.append(f'<div class="sw-doc"><p class="sw-doc-title" title="{esc(title)}">{esc(short_title(title))}</p>')
        rows += [_passage_html(c, number) for c in group]
        rows.append("</div>")
    rows.append("</section>")
    return "".join(rows)


def render_sources(conv: Conversation) -> str:
    """The sources panel: the latest answer's cited passages first, earlier answers folded away."""
    head = f'<h3 class="sw-heading">{esc(UI["sources_heading"])}</h3>'
    if not conv.turns:
        return f'<div class="sw-sources">{head}<p class="sw-empty">{esc(UI["sources_empty"])}</p></div>'
    n, first = len(conv.turns), conv.dropped + 1  # turn numbers go on after a trim
    parts = ['<div class="sw-sources">', head, _turn_html(conv.turns[-1], first + n - 1)]
    if n > 1:
        parts.append(f'<details class="sw-older"><summary>{esc(UI["sources_older"])}</summary>')
        for i in range(n - 2, -1, -1):
            parts.append(_turn_html(conv.turns[i], first + i))
        parts.append("</details>")
    parts.append("</div>")
    return "".join(parts)


def render_upload_report(report: UploadReport) -> str:
    """Markdown (escaped) saying what was added and what was refused, by name."""
    paras = []
    if report.error:
        paras.append(chat_markdown(UI["upload_index_failed"].format(message=report.error)))
    if report.added:
        paras.append(chat_markdown(UI["upload_added"].format(names=", ".join(report.added))))
    paras += [chat_markdown(note) for note in report.notes]
    if report.rejected:
        items = "\n".join(f"- **{chat_markdown(name)}**: {chat_markdown(reason)}" for name, reason in report.rejected)
        paras.append(f"{chat_markdown(UI['upload_rejected'])}\n\n{items}")
    return "\n\n".join(paras)
