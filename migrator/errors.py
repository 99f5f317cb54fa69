"""The one exception the library raises for input it cannot read."""

from __future__ import annotations


class InputError(Exception):
    """The input cannot be read as a values file.

    Carries where it went wrong (1-based line and column), the offending key
    path when known, and the offending line of text, so that every face can
    show one precise message without a traceback.
    """

    def __init__(
        self,
        message: str,
        *,
        line: int | None = None,
        column: int | None = None,
        key: str | None = None,
        snippet: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.key = key
        self.snippet = snippet

    def __str__(self) -> str:
        return located(self.message, self.line, self.column, self.key)

    def __reduce__(self) -> tuple:
        # Analyses run in worker processes: the error crosses back whole (line, column, key, snippet).
        return (_rebuild, (self.message, self.line, self.column, self.key, self.snippet))

    def to_dict(self) -> dict:
        return {
            "message": self.message,
            "line": self.line,
            "column": self.column,
            "key": self.key,
            "snippet": self.snippet,
        }


def _rebuild(
    message: str, line: int | None, column: int | None, key: str | None, snippet: str | None
) -> InputError:
    return InputError(message, line=line, column=column, key=key, snippet=snippet)


def located(message: str, line: int | None, column: int | None, key: str | None) -> str:
    """`line 3, column 4: message (key `a.b`)`: the one way every face says where."""
    where = ""
    if line is not None:
        where = f"line {line}" + (f", column {column}" if column is not None else "") + ": "
    return f"{where}{message}" + (f" (key `{key}`)" if key else "")
