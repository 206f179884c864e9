"""Errors raised by the local stack, each naming the fix in its message."""


class LocalStackError(RuntimeError):
    """A local-stack component could not start or run; the message says what to do."""
