"""Every user-facing text lives here: prompts, answer texts, the web app's, the command line's
(help texts too), error messages, the doctor's lines and the evaluation's, Dutch and English.

Modules elsewhere hold no sentence a user reads; they format these templates (named
``{placeholders}``) where they use them. ``tests/test_texts_in_prompts.py`` guards the rule.
One module per audience:

- :mod:`.answers`: the lines around extractive answers, abstentions, the meeting preparation
- :mod:`.llm`: prompts for the language model and the lines shown when it fails
- :mod:`.ui`: the web app
- :mod:`.cli`: the command line, argparse's help texts included
- :mod:`.errors`: error messages and the reasons a source file is skipped
- :mod:`.doctor`: ``assistant doctor``
- :mod:`.evaluation`: the LLM judge, the evaluation set's checks and the reports' headings
- :mod:`.api`: the OpenAI-compatible API, the MCP server and their commands
"""

from __future__ import annotations

from .answers import (
    ABSTAIN,
    ABSTAIN_TOPICS,
    LEAD,
    OUT_OF_SCOPE,
    PREP_EMPTY,
    PREP_GOAL,
    PREP_PARTNERS,
    PREP_SOURCES,
    PREP_TITLE,
    OPEN_PARTS,
    UNSUPPORTED_NOTE,
)
from .api import API, API_HELP, MCP, MODEL_DESCRIPTION, ROUTES
from .cli import CLI, HELP, PROGRESS
from .doctor import DOCTOR, DOCTOR_FIX, DOCTOR_KIND, DOCTOR_PING
from .errors import ERRORS, NOT_UTF8, SKIPPED
from .evaluation import (
    EVAL,
    FEEDBACK_EXPORT_NOTE,
    JUDGE_BRIEF,
    JUDGE_FORMAT,
    JUDGE_ITEM,
    REPORT,
    ROLES_HELP,
    VALIDATION,
)
from .llm import (
    CONDENSE,
    EXCERPT_GAP,
    FALLBACK_NOTE,
    LLM_FAILURE,
    LLM_PROGRESS,
    PASSAGE,
    QUESTION_LABEL,
    SOURCES_CLOSE,
    SOURCES_OPEN,
    STOP,
    SYSTEM,
)
from .ui import EXAMPLE_QUESTIONS, UI

HELP.update(API_HELP)  # the API's commands (assistant api, api-key, mcp) live with the API's texts

__all__ = [
    "API", "MCP", "MODEL_DESCRIPTION", "ROUTES",
    "ABSTAIN", "ABSTAIN_TOPICS", "CLI", "CONDENSE", "DOCTOR", "DOCTOR_FIX", "DOCTOR_KIND", "DOCTOR_PING", "ERRORS",
    "EVAL", "EXCERPT_GAP", "LLM_PROGRESS", "STOP", "EXAMPLE_QUESTIONS", "FALLBACK_NOTE", "FEEDBACK_EXPORT_NOTE", "HELP", "JUDGE_BRIEF", "JUDGE_FORMAT",
    "JUDGE_ITEM", "LEAD", "LLM_FAILURE", "NOT_UTF8", "OUT_OF_SCOPE", "PASSAGE", "PREP_EMPTY", "PREP_GOAL",
    "PREP_PARTNERS", "PREP_SOURCES", "PREP_TITLE", "PROGRESS", "QUESTION_LABEL", "REPORT", "ROLES_HELP", "SKIPPED", "SOURCES_CLOSE", "SOURCES_OPEN", "SYSTEM",
    "UI", "OPEN_PARTS", "UNSUPPORTED_NOTE", "VALIDATION",
]
