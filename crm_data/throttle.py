"""Failed password logins counted per e-mail, to slow down password guessing (``password`` mode).

After ``limit`` failures for one e-mail within ``window`` seconds, the next try must wait
``lockout`` seconds after the last failure; each further failure doubles the wait, up to
``max_lockout``.  A success clears the e-mail's count.  The counts live in this process (one
app server), not in the database: a restart forgets them.  E-mails whose failures have all left
the window are forgotten once more than ``MAX_TRACKED`` are held, so guesses at many addresses
cannot grow the counts without bound.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from crm_data.users import normalize_email

__all__ = ["MAX_TRACKED", "LoginThrottle"]

#: E-mails held before the ones without a recent failure are dropped.
MAX_TRACKED = 10_000


class LoginThrottle:
    """Failed logins per e-mail (case and surrounding spaces ignored); safe across threads.

    Parameters
    ----------
    limit : int
        Failures within ``window`` that start the lockout.
    window : float
        Seconds a failure counts for.
    lockout : float
        Seconds to wait after the ``limit``-th failure; doubled by each further one.
    max_lockout : float
        The longest wait.
    clock : callable
        Seconds, monotonic (tests pass a fake one).

    Examples
    --------
    >>> now = [0.0]
    >>> throttle = LoginThrottle(limit=2, lockout=30, clock=lambda: now[0])
    >>> throttle.failed("Ann@example.com"); throttle.retry_after("ann@example.com")
    0.0
    >>> throttle.failed("ann@example.com"); throttle.retry_after("ann@example.com")
    30.0
    >>> now[0] = 30.0; throttle.retry_after("ann@example.com")
    0.0
    """

    def __init__(
        self,
        limit: int = 5,
        window: float = 900.0,
        lockout: float = 30.0,
        max_lockout: float = 900.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError(f"limit must be a whole number ≥ 1, got {limit!r}")
        if not 0 < lockout <= max_lockout or window <= 0:
            raise ValueError(
                "window and lockout must be positive and lockout at most max_lockout, got "
                f"window={window!r}, lockout={lockout!r}, max_lockout={max_lockout!r}"
            )
        self.limit, self.window = limit, window
        self.lockout, self.max_lockout = lockout, max_lockout
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        """The key's failures within the window (older ones dropped; caller holds the lock)."""
        times = self._failures.get(key, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            self._failures.pop(key, None)
        return times

    def retry_after(self, email: str) -> float:
        """Seconds until ``email`` may try again (0.0: now)."""
        with self._lock:
            now = self._clock()
            times = self._recent(normalize_email(email), now)
            if len(times) < self.limit:
                return 0.0
            wait = min(self.lockout * 2 ** (len(times) - self.limit), self.max_lockout)
            return max(0.0, times[-1] + wait - now)

    def failed(self, email: str) -> None:
        """Count a failed login for ``email``."""
        with self._lock:
            now = self._clock()
            key = normalize_email(email)
            self._recent(key, now)
            self._failures.setdefault(key, deque()).append(now)
            if len(self._failures) > MAX_TRACKED:
                self._forget_stale(now)

    def _forget_stale(self, now: float) -> None:
        """Drop the e-mails whose last failure left the window (caller holds the lock)."""
        stale = [key for key, times in self._failures.items() if times[-1] <= now - self.window]
        for key in stale:
            del self._failures[key]

    def tracked(self) -> int:
        """How many e-mails have failures held (for tests and diagnostics)."""
        with self._lock:
            return len(self._failures)

    def succeeded(self, email: str) -> None:
        """Forget ``email``'s failures (a successful login)."""
        with self._lock:
            self._failures.pop(normalize_email(email), None)
