"""The one failure of a whole file: why it cannot be read at all."""

from __future__ import annotations


class UnreadableFile(Exception):
    """The whole file is refused; nothing else is reported. ``code`` is a key of ``WORDS``."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params: dict[str, object] = params

    def __repr__(self) -> str:
        return f"UnreadableFile({self.code!r}, {self.params!r})"
