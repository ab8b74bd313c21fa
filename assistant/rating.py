"""Ratings and comments on answers: a conversation's turns linked to the feedback store."""

from __future__ import annotations

from .conversation import Conversation
from .feedback import FeedbackStore


def rate(store: FeedbackStore, conv: Conversation, turn_index: int, liked: bool | None,
         comment: str = "") -> int | None:
    """Store (or change, or with ``liked=None`` withdraw) the rating of one answer."""
    if not 0 <= turn_index < len(conv.turns):
        raise IndexError(turn_index)
    t = conv.turns[turn_index]
    if liked is None:
        if t.feedback_id is not None:
            store.delete(t.feedback_id)
        t.feedback_id = None
        conv.last_feedback = None
        return None
    if t.feedback_id is not None and store.set_rating(t.feedback_id, "up" if liked else "down"):
        if comment.strip():
            store.set_comment(t.feedback_id, comment)
    else:
        t.feedback_id = store.add(
            t.question, t.answer, "up" if liked else "down", comment=comment,
            citations=[{k: v for k, v in c.items() if k != "text"} for c in t.citations],
            query=t.query, history=t.history, abstained=t.abstained, lang=t.lang)
    conv.last_feedback = t.feedback_id
    return t.feedback_id


def comment(store: FeedbackStore, conv: Conversation, text: str) -> bool:
    """Attach a comment to the conversation's most recent rating."""
    if conv.last_feedback is None or not text.strip():
        return False
    return store.set_comment(conv.last_feedback, text)
