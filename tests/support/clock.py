"""A fake clock for code that reads the time through an injectable ``clock`` callable
(``access.throttle.LoginThrottle``, ``ui.session``)."""

from __future__ import annotations

__all__ = ["Clock"]


class Clock:
    """A fake Unix clock: ``clock()`` returns :attr:`now`, which a test moves on by hand."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
