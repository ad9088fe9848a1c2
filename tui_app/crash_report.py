"""The report of a crash: where it happened, never a value.

Textual's own report shows every frame's local variables, which for a crash
while resuming included landing-state cookies. This one keeps the error types,
the frames and the messages, with every secret the session knows masked.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import RenderableType
from rich.traceback import Trace, Traceback
from textual.worker import WorkerFailed


def crash_report(error: BaseException, secrets: Iterable[str] | None) -> RenderableType:
    """What is printed when the app crashes: the error and the frames it went
    through, never a value. Textual's own report shows every frame's local
    variables, and those held landing-state cookies and secrets. The error's
    own messages are kept with every known secret masked; with no list of
    secrets to mask (it could not be made) they are left out."""
    if isinstance(error, WorkerFailed) and isinstance(error.error, BaseException):
        error = error.error
    report = Traceback.from_exception(
        type(error), error, error.__traceback__, width=None, show_locals=False
    )
    masks = sorted({value for value in secrets or () if value}, key=len, reverse=True)

    def clean(text: str) -> str:
        if secrets is None:
            return "(message withheld)"
        for value in masks:
            text = text.replace(value, "***")
        return text

    def scrub(trace: Trace) -> None:
        for stack in trace.stacks:
            stack.exc_value = clean(stack.exc_value)
            stack.notes = [clean(note) for note in stack.notes]
            if stack.syntax_error is not None:
                stack.syntax_error.msg = clean(stack.syntax_error.msg)
                stack.syntax_error.line = clean(stack.syntax_error.line)
            for frame in stack.frames:
                frame.locals = None  # show_locals=False already; never any value
            for inner in stack.exceptions:
                scrub(inner)

    scrub(report.trace)
    return report
