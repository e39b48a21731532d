"""Spreadsheet imports: an institution's registrar uploads a file of achievements, previews it, and confirms it.

``upload`` stores the file; ``validate`` checks every row (reader, row rules, the bank) and says what confirming
would write; ``commit`` writes the whole file in one transaction or nothing, and never the same row twice;
``letters`` prints activation letters for the new learners without e-mail. Each use case takes the caller's
``Principal``: ``records:write`` to upload, confirm and print, ``records:read`` to look. See the modules for the
rules: ``rows`` (a row's own values), ``matching`` (rows against each other and the bank), ``committing`` (the
write and its progress), ``store`` (states and the kept file), ``upkeep`` (expiry and erasure).
"""

from __future__ import annotations

from creditbank.services.imports.activation_letters import letters
from creditbank.services.imports.committing import commit, progress
from creditbank.services.imports.store import discard, recent, upload, view
from creditbank.services.imports.validation import validate
from creditbank.services.imports.views import MAX_PROBLEMS, ImportView, RowProblem
from creditbank.services.imports.words import describe

__all__ = [
    "MAX_PROBLEMS",
    "ImportView",
    "RowProblem",
    "commit",
    "describe",
    "discard",
    "letters",
    "progress",
    "recent",
    "upload",
    "validate",
    "view",
]
