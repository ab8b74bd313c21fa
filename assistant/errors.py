"""User-facing errors. Each message names the file, page or value at fault and what to do."""

from __future__ import annotations

from pathlib import Path


class AssistantError(Exception):
    """An error a user can act on; the CLI and web app show its message, never a traceback."""

    exit_code = 1


class IndexMissingError(AssistantError):
    exit_code = 3

    def __init__(self, index_dir: Path):
        super().__init__(
            f"Er is nog geen index in {index_dir}. Voer eerst `assistant index` uit. "
            f"(No index yet in {index_dir}: run `assistant index` first.)"
        )


class IndexMismatchError(AssistantError):
    exit_code = 3

    def __init__(self, index_dir: Path, built_with: str, configured: str):
        super().__init__(
            f"De index in {index_dir} is gebouwd met {built_with}, maar ingesteld is {configured}. "
            "Voer `assistant index --rebuild` uit."
        )


class QuestionError(AssistantError):
    exit_code = 2


class EmptyQuestionError(QuestionError):
    def __init__(self) -> None:
        super().__init__("De vraag is leeg. Typ een vraag. (The question is empty.)")


class QuestionTooLongError(QuestionError):
    def __init__(self, length: int, limit: int):
        super().__init__(
            f"De vraag is te lang ({length} tekens; maximaal {limit}). Maak hem korter. "
            f"(The question has {length} characters; the limit is {limit}.)"
        )


class DocumentError(AssistantError):
    """A source file that cannot be read; indexing skips it and reports this message."""

    def __init__(self, path: Path | str, reason: str, page: int | None = None):
        where = f"{Path(path).name}" + (f", pagina {page}" if page else "")
        super().__init__(f"{where}: {reason}")
        self.path = Path(path)
        self.reason = reason
        self.page = page


class UnreadableQuestionError(QuestionError):
    def __init__(self) -> None:
        super().__init__(
            "De vraag bevat geen leesbare woorden (alleen leestekens, emoji of onleesbare tekens). "
            "Typ een vraag in woorden. (The question contains no readable words.)"
        )


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
