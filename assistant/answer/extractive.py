"""The embedded default generator: an answer composed of source statements, by intent.

No LLM and no network. Units (sentences and whole lists, each with a role) of the retrieved
passages are scored against the question; the section whose units answer best is chosen, its best
units are shown in their own order, and at most two complementary points come from elsewhere.
Questions and meta units (navigation, references, method, fragments) are never shown; findings only
when the question is about research or asks why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from ..bm25 import analyze
from ..records import ScoredChunk, Statement, content_hash
from ..retrieve import zscores
from ..units import Unit, units_of
from .broken import never_shown
from .intent import IntentTable, leans_back, table, wants_findings
from .support import TermStats, looks_like_instruction

# Weights of the unit score (decisions in docs/decisions.md, "Extractive answers").
SEMANTIC_WEIGHT = 0.1
FOLLOW_WEIGHT = 0.3
PRIOR_WEIGHT = 0.1
KEY_WEIGHT = 0.15  # per standard deviation of the passage's best search-key match among the passages
PASSAGE_WEIGHT = 0.3  # per standard deviation of the passage's retrieval score among the passages
HIDDEN_ROLES = frozenset({"question", "meta"})
MIN_SCORE = 0.15
OUTSIDE_MIN = 0.6  # a point from outside the answering section needs this share of the best score
OUTSIDE_TOP = 3  # complementary points come from the best unit of each of the 3 best-ranked passages


@dataclass(frozen=True)
class Candidate:
    unit: Unit
    score: float
    section: tuple[str, str]  # (document, section heading) of the unit's passage
    terms: frozenset[str]
    prev_role: str = ""  # role of the unit before it in its passage ("" for the first)

    @property
    def words(self) -> int:
        return len(self.unit.text.split())


def _base_score(u: Unit, cov: float, rank: int, role_weight: dict[str, float]) -> float:
    score = cov + PRIOR_WEIGHT / (1 + rank) + role_weight.get(u.role, 0.0)
    n = len(u.text)
    if n < 40:
        score -= 0.2
    elif n > 600 and not u.is_list:
        score -= 0.1
    return score


def score_units(question: str, contexts: Sequence[ScoredChunk], stats: TermStats, intent: str,
                semantic: dict[str, float] | None = None, t: IntentTable | None = None,
                roles: frozenset[str] | None = None, keys: dict[str, float] | None = None) -> list[Candidate]:
    """Every showable unit of the passages with its score: the IDF-weighted share of the question's
    terms it holds, its cosine with the question (z-normalised over the candidates), the passage's
    rank, its role for this intent, and a share of the score of the unit before it (a sentence
    after a relevant one, or after a source question it answers, often carries the point).
    ``roles``: the roles that may be shown (default: every role but question and meta, findings
    only for why-questions and questions about research). ``keys``: per passage id, how well its
    best search key (a question it answers) matches the question."""
    t = t or table()
    q_terms = set(analyze(question))
    role_weight = t.role_weight.get(intent, {})
    findings_ok = intent == "why" or wants_findings(question, t)
    raw: list[tuple[float, Unit, tuple[str, str], frozenset[str], bool]] = []
    key_z = zscores({i: keys[sc.chunk.id] for i, sc in enumerate(contexts) if sc.chunk.id in keys}) if keys else {}
    rank_z = zscores({i: sc.score for i, sc in enumerate(contexts)})
    for i, sc in enumerate(contexts):
        # a passage without keys (an uploaded document) is neutral: z 0
        passage = KEY_WEIGHT * key_z.get(i, 0.0) + PASSAGE_WEIGHT * rank_z[i]
        for u in units_of(sc.chunk.text, i):
            terms = frozenset(analyze(u.text))
            cov = stats.coverage(q_terms, set(terms)) if q_terms else 0.0
            role = u.role
            allowed = role in roles if roles is not None else \
                role not in HIDDEN_ROLES and (findings_ok or role != "finding")
            shown = allowed and not looks_like_instruction(u.text) \
                and (u.is_code or not never_shown(u.text, u.is_list))
            raw.append((_base_score(u, cov, i, role_weight) + passage, u, (sc.chunk.doc_id, sc.chunk.section), terms, shown))
    if semantic:
        bonus = zscores({r[1]: semantic[content_hash(r[1].text)] for r in raw if content_hash(r[1].text) in semantic})
        raw = [(s + SEMANTIC_WEIGHT * bonus.get(u, 0.0), u, sec, terms, shown) for s, u, sec, terms, shown in raw]
    by_pos = {(u.ctx, u.pos): (s, u.role) for s, u, *_ in raw}
    out = []
    for s, u, sec, terms, shown in raw:
        if shown:
            before, prev_role = by_pos.get((u.ctx, u.pos - 1), (0.0, ""))
            out.append(Candidate(u, s + FOLLOW_WEIGHT * max(0.0, before), sec, terms, prev_role))
    return out


def _coherent(chosen: list[Candidate], cands: Sequence[Candidate], room: int) -> list[Candidate]:
    """A chosen sentence that leans on the one before it ("Dat vraagt …") keeps it: the sentence
    before is added when it may be shown and there is room, otherwise the leaning sentence is
    dropped (also after a source question, which is never shown: "Dergelijke inschattingen …")."""
    by_pos = {(c.unit.ctx, c.unit.pos): c for c in cands}
    out = list(chosen)
    for c in chosen:
        if not leans_back(c.unit.text):
            continue
        prev = by_pos.get((c.unit.ctx, c.unit.pos - 1))
        if prev is not None and prev in out:
            continue
        out.remove(c)
        if prev is not None and room > 0:
            out.append(prev)
            out.append(c)
            room -= 1
    return out


def _redundant(c: Candidate, chosen: Sequence[Candidate]) -> bool:
    return any(c.unit.text == o.unit.text or len(c.terms & o.terms) / max(1, len(c.terms | o.terms)) > 0.6
               for o in chosen)


def answering_section(cands: Sequence[Candidate]) -> tuple[str, str] | None:
    """The section whose three best units score highest together."""
    per: dict[tuple[str, str], list[float]] = {}
    for c in cands:
        per.setdefault(c.section, []).append(c.score)
    if not per:
        return None
    return max(per, key=lambda s: sum(sorted(per[s], reverse=True)[:3]))


def choose(cands: Sequence[Candidate], intent: str, t: IntentTable | None = None,
           extra: int = 2) -> list[Candidate]:
    """The answer's units: the best of the answering section (in its order), then at most ``extra``
    strong complementary points from elsewhere, within the intent's number of statements and words
    (a list the question asks for may run longer)."""
    t = t or table()
    limit = t.max_statements.get(intent, 5)
    ranked = sorted(cands, key=lambda c: (-c.score, c.unit.ctx, c.unit.pos))
    if not ranked or ranked[0].score < MIN_SCORE:
        return []
    best = ranked[0].score
    section = answering_section([c for c in ranked if c.score >= 0.5 * best])
    chosen: list[Candidate] = []
    words = 0

    def take(c: Candidate) -> None:
        nonlocal words
        over = words + c.words > t.max_words and not (c.unit.is_list and intent == "which")
        if len(chosen) < limit and not _redundant(c, chosen) and (not chosen or not over):
            chosen.append(c)
            words += c.words

    for c in ranked:
        if c.section == section and c.score >= max(MIN_SCORE, 0.5 * best):
            take(c)
    firsts: dict[int, Candidate] = {}  # the best unit of each top passage outside the section
    for c in ranked:
        if c.section != section and c.unit.ctx < OUTSIDE_TOP and c.score >= OUTSIDE_MIN * best:
            firsts.setdefault(c.unit.ctx, c)
    for c in sorted(firsts.values(), key=lambda c: -c.score)[:extra]:
        take(c)
    return _coherent(chosen, cands, limit + 1 - len(chosen))


def _order(chosen: Sequence[Candidate], intent: str) -> list[Candidate]:
    """Lead first (the definition for what-is, the list for which, else the best unit), then the
    rest in source order (passage rank, then position)."""
    if not chosen:
        return []
    want = {"whatis": "definition", "which": "list"}.get(intent)
    free = [c for c in chosen if not leans_back(c.unit.text)] or list(chosen)
    lead = next((c for c in free if want and c.unit.role == want), None) or max(free, key=lambda c: c.score)
    rest = sorted((c for c in chosen if c is not lead), key=lambda c: (c.unit.ctx, c.unit.pos))
    order = [lead, *rest]
    for c in [c for c in rest if leans_back(c.unit.text)]:  # right after the sentence it leans on
        before = next((b for b in order if (b.unit.ctx, b.unit.pos) == (c.unit.ctx, c.unit.pos - 1)), None)
        if before is not None:
            order.remove(c)
            order.insert(order.index(before) + 1, c)
    return order


def statements(chosen: Sequence[Candidate], intent: str, contexts: Sequence[ScoredChunk]) -> list[Statement]:
    """Typed statements: the lead as a sentence, the others as bullets (lists as lists); a sentence
    that leans on the one before it joins that one's statement."""
    out: list[Statement] = []
    last: Unit | None = None
    for i, c in enumerate(_order(chosen, intent)):
        u = c.unit
        if last is not None and (u.ctx, u.pos) == (last.ctx, last.pos + 1) and leans_back(u.text) \
                and not u.is_list and out[-1].form != "list":
            prev = out[-1]
            out[-1] = replace(prev, text=f"{prev.text} {u.text}", end=u.end, score=max(prev.score, round(c.score, 4)))
        else:
            form = "list" if u.is_list else ("sentence" if i == 0 or intent == "why" else "bullet")
            out.append(Statement(u.text, u.role, (u.ctx + 1,), contexts[u.ctx].chunk.id, u.start, u.end,
                                 round(c.score, 4), form))
        last = u
    return out


def compose(question: str, contexts: Sequence[ScoredChunk], stats: TermStats, intent: str,
            semantic: dict[str, float] | None = None, keys: dict[str, float] | None = None) -> list[Statement]:
    """The extractive answer's statements for ``question`` (empty when nothing answers it)."""
    cands = score_units(question, contexts, stats, intent, semantic, keys=keys)
    return statements(choose(cands, intent), intent, contexts)
