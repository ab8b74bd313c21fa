"""User-facing errors. Each message names the file, page or value at fault and what to do; the texts
are in :mod:`assistant.prompts.errors`."""

from __future__ import annotations

from pathlib import Path

from .prompts import ERRORS, SKIPPED


class AssistantError(Exception):
    """An error a user can act on; the CLI and web app show its message, never a traceback."""

    exit_code = 1


class IndexMissingError(AssistantError):
    exit_code = 3

    def __init__(self, index_dir: Path):
        super().__init__(ERRORS["index_missing"].format(index_dir=index_dir))


class IndexMismatchError(AssistantError):
    exit_code = 3

    def __init__(self, index_dir: Path, built_with: str, configured: str):
        super().__init__(ERRORS["index_mismatch"].format(index_dir=index_dir, built_with=built_with,
                                                          configured=configured))


class QuestionError(AssistantError):
    exit_code = 2


class EmptyQuestionError(QuestionError):
    def __init__(self) -> None:
        super().__init__(ERRORS["question_empty"])


class QuestionTooLongError(QuestionError):
    def __init__(self, length: int, limit: int):
        super().__init__(ERRORS["question_too_long"].format(length=length, limit=limit))


class DocumentError(AssistantError):
    """A source file that cannot be read; indexing skips it and reports this message."""

    def __init__(self, path: Path | str, reason: str, page: int | None = None):
        name = Path(path).name
        where = ERRORS["document_page"].format(name=name, page=page) if page else name
        super().__init__(f"{where}: {reason}")
        self.path = Path(path)
        self.reason = reason
        self.page = page


class TextTooLongError(DocumentError):
    """A source file with more characters of text than may be read at once; refused on its raw text,
    before any cleaning (which is where the time would go)."""

    def __init__(self, path: Path | str, chars: int, limit: int):
        super().__init__(path, SKIPPED["too_much_text"].format(n=chars, limit=limit))
        self.chars = chars
        self.limit = limit


class UnreadableQuestionError(QuestionError):
    def __init__(self) -> None:
        super().__init__(ERRORS["question_unreadable"])


class FieldError(AssistantError):
    """A value typed into a form that cannot be used; the message names the field and the value."""

    exit_code = 2

    def __init__(self, field: str, value: str, reason: str):
        shown = value if len(value) <= 40 else value[:39] + "…"
        super().__init__(f"{field} \u201c{shown}\u201d: {reason}")
        self.field = field
        self.reason = reason


class CorpusError(AssistantError):
    exit_code = 2


class ConfigError(AssistantError):
    exit_code = 2
