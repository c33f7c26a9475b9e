"""How a failure reaches the user: one line naming what was wrong, never a traceback."""

from __future__ import annotations

from .console_client import ConsoleError
from .protocol import ProtocolError


class CommandError(Exception):
    """A problem with what the user asked for, said in one line."""


def one_line(error: BaseException) -> str:
    """The message for `error`, in one line."""
    if isinstance(error, OSError) and error.filename is not None and error.strerror:
        return f"{error.filename}: {error.strerror}"
    if isinstance(error, ProtocolError):
        return error.message
    text = str(error) or type(error).__name__
    return " ".join(text.split())


# The failures that user input or the device cause; anything else (a ValueError
# included) is a bug, reported as one.
EXPECTED = (CommandError, ConsoleError, ProtocolError, OSError, TimeoutError)
