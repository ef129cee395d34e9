"""Password logins throttled (``password`` mode): per e-mail, per client, overall, and a cap on
password checks running at once.

Every login goes through :meth:`LoginThrottle.attempt`, which in one step under a lock checks
the limits and, when the attempt may go ahead, counts it as a failure *before* the password is
checked; :meth:`Attempt.succeeded` takes the count back.  Twelve guesses sent at the same
moment therefore get at most ``limit`` password checks: the others are refused before any hash
is computed.

The limits (defaults in brackets):

* **per e-mail**: after ``limit`` [5] failures within ``window`` [15 min] the next try waits
  ``lockout`` [30 s] after the last one, doubling with each further failure up to
  ``max_lockout`` [15 min];
* **per client address** (``client``: the address the app server sees; None skips it): the
  same with ``client_limit`` [20] failures, across every e-mail tried from that address;
* **overall**: once ``overall_limit`` [100] failures, all e-mails and clients together, fell
  within ``overall_window`` [60 s], only one attempt per ``overall_interval`` [2 s] goes ahead
  on the whole server until the rate drops;
* **at once**: at most ``max_concurrent`` [4] password checks run at the same time (argon2 is
  made to cost CPU time and memory); more are told to retry in ``busy_retry`` [1 s].

A success clears its e-mail's failures but not its client's (one good account must not reset
an address's count of guesses at others).  Memory is bounded whatever is sent: e-mails longer
than :data:`~access.passwords.EMAIL_LENGTH` are refused before they are stored (check them with
:func:`access.passwords.credentials_problem` first), each e-mail and client keeps at most the
failures that still change its wait, and at most ``max_tracked`` [10,000] of each are held
(the one whose last failure is oldest is forgotten first).  The counts live in the app
server's memory: a restart forgets them.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Literal

from access.passwords import EMAIL_LENGTH, normalize_email
from i18n import N_, _
from i18n.formatting import format_count

__all__ = ["MAX_TRACKED", "Attempt", "LoginThrottle", "Reason"]

#: E-mails (and, separately, client addresses) held at most.
MAX_TRACKED = 10_000
#: Client addresses are cut to this length before they are stored.
CLIENT_LENGTH = 64

Reason = Literal["email", "client", "overall", "busy"]

#: Why an attempt is refused (English; :attr:`Attempt.message` translates).
_MESSAGES: dict[Reason, str] = {
    "email": N_("Too many failed logins for this e-mail."),
    "client": N_("Too many failed logins from your network address."),
    "overall": N_("Many logins are failing on this server right now, so logins are slowed down."),
    "busy": N_("The server is checking other logins right now."),
}


def _positive(**values: float) -> None:
    """Raise ValueError naming the first value that is not a positive number."""
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            raise ValueError(f"{name} must be a positive number, got {value!r}")


def _whole(**values: int) -> None:
    """Raise ValueError naming the first value that is not a whole number ≥ 1."""
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a whole number ≥ 1, got {value!r}")


class _Failures:
    """Failure times per key with a doubling lockout; bounded (caller holds the lock).

    Keys are kept in the order of their last failure, so the first one is the one to forget.
    """

    def __init__(
        self, limit: int, window: float, lockout: float, max_lockout: float, max_keys: int
    ) -> None:
        self.limit, self.window = limit, window
        self.lockout, self.max_lockout = lockout, max_lockout
        self.max_keys = max_keys
        # failures beyond this many no longer lengthen the wait (it has reached max_lockout)
        self._keep = limit + max(0, math.ceil(math.log2(max_lockout / lockout)))
        self._times: OrderedDict[str, deque[float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._times)

    def wait(self, key: str, now: float) -> float:
        """Seconds until ``key`` may try again (0.0: now); forgets failures out of the window."""
        times = self._times.get(key)
        if times is None:
            return 0.0
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            del self._times[key]
            return 0.0
        if len(times) < self.limit:
            return 0.0
        wait = min(self.lockout * 2.0 ** (len(times) - self.limit), self.max_lockout)
        return max(0.0, times[-1] + wait - now)

    def add(self, key: str, now: float) -> None:
        """Count a failure of ``key`` at ``now``; forget the stalest key beyond ``max_keys``."""
        times = self._times.get(key)
        if times is None:
            times = self._times[key] = deque(maxlen=self._keep)
        times.append(now)
        self._times.move_to_end(key)
        while len(self._times) > self.max_keys:
            self._times.popitem(last=False)

    def take_back(self, key: str, when: float) -> None:
        """Uncount the failure of ``key`` counted at ``when`` (if it is still held)."""
        times = self._times.get(key)
        if times is not None and when in times:
            times.remove(when)
            if not times:
                del self._times[key]

    def clear(self, key: str) -> None:
        """Forget every failure of ``key``."""
        self._times.pop(key, None)


class Attempt:
    """One login attempt: either refused (``reason`` and ``retry_after``) or let through, in
    which case the caller checks the password and calls :meth:`succeeded` if it was right.
    """

    def __init__(
        self,
        throttle: LoginThrottle,
        email: str,
        client: str | None,
        started: float,
        reason: Reason | None = None,
        retry_after: float = 0.0,
    ) -> None:
        self._throttle = throttle
        self.email, self.client, self.started = email, client, started
        self.reason, self.retry_after = reason, retry_after
        self._done = False

    @property
    def allowed(self) -> bool:
        """Whether the password may be checked."""
        return self.reason is None

    @property
    def message(self) -> str:
        """Why the attempt was refused and when to try again ('' when allowed), in the language
        in force.
        """
        if self.reason is None:
            return ""
        wait = _("Try again in {seconds} s.").format(
            seconds=format_count(math.ceil(self.retry_after))
        )
        return f"{_(_MESSAGES[self.reason])} {wait}"

    def succeeded(self) -> None:
        """The password was right: uncount this attempt and clear the e-mail's failures."""
        if not self.allowed:
            raise RuntimeError("A refused login attempt cannot succeed.")
        if not self._done:
            self._done = True
            self._throttle._succeeded(self)


class LoginThrottle:
    """Failed password logins per e-mail, per client and overall, and checks at once.

    Safe across threads.  E-mails are compared without case and surrounding spaces.

    Parameters
    ----------
    limit : int
        Failures of one e-mail within ``window`` that start its lockout.
    window : float
        Seconds a failure counts for (per e-mail and per client).
    lockout : float
        Seconds to wait after the ``limit``-th failure; doubled by each further one.
    max_lockout : float
        The longest wait.
    client_limit : int
        Failures from one client address within ``window`` that start its lockout.
    overall_limit : int
        Failures within ``overall_window`` (all e-mails) that slow every attempt down.
    overall_window : float
        Seconds an overall failure counts for.
    overall_interval : float
        While slowed down: seconds between two attempts on the whole server.
    max_concurrent : int
        Password checks running at the same time.
    busy_retry : float
        Seconds a client refused for ``max_concurrent`` is told to wait.
    max_tracked : int
        E-mails, and client addresses, held at most.
    clock : callable
        Seconds, monotonic (tests pass a fake one).

    Examples
    --------
    >>> now = [0.0]
    >>> throttle = LoginThrottle(limit=2, lockout=30, clock=lambda: now[0])
    >>> for _ in range(3):
    ...     with throttle.attempt("Ann@example.com") as attempt:
    ...         print(attempt.allowed, attempt.reason)  # the password would be checked here
    True None
    True None
    False email
    >>> attempt.message
    'Too many failed logins for this e-mail. Try again in 30 s.'
    >>> now[0] = 30.0
    >>> with throttle.attempt("ann@example.com") as attempt:
    ...     attempt.succeeded()  # the right password: the e-mail's failures are forgotten
    >>> throttle.tracked()
    0
    """

    def __init__(
        self,
        limit: int = 5,
        window: float = 900.0,
        lockout: float = 30.0,
        max_lockout: float = 900.0,
        client_limit: int = 20,
        overall_limit: int = 100,
        overall_window: float = 60.0,
        overall_interval: float = 2.0,
        max_concurrent: int = 4,
        busy_retry: float = 1.0,
        max_tracked: int = MAX_TRACKED,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        _whole(
            limit=limit,
            client_limit=client_limit,
            overall_limit=overall_limit,
            max_concurrent=max_concurrent,
            max_tracked=max_tracked,
        )
        _positive(
            window=window,
            lockout=lockout,
            max_lockout=max_lockout,
            overall_window=overall_window,
            overall_interval=overall_interval,
            busy_retry=busy_retry,
        )
        if lockout > max_lockout:
            raise ValueError(
                f"lockout must be at most max_lockout, got lockout={lockout!r}, "
                f"max_lockout={max_lockout!r}"
            )
        self.max_concurrent, self.busy_retry = max_concurrent, busy_retry
        self.overall_window, self.overall_interval = overall_window, overall_interval
        self._emails = _Failures(limit, window, lockout, max_lockout, max_tracked)
        self._clients = _Failures(client_limit, window, lockout, max_lockout, max_tracked)
        self._overall: deque[float] = deque(maxlen=overall_limit)
        self._last_start = -math.inf
        self._running = 0
        self._clock = clock
        self._lock = threading.Lock()

    def _overall_wait(self, now: float) -> float:
        """Seconds until the next attempt while slowed down (0.0 when not slowed down)."""
        full = len(self._overall) == self._overall.maxlen
        if not (full and self._overall[0] > now - self.overall_window):
            return 0.0
        return max(0.0, self._last_start + self.overall_interval - now)

    def _admit(self, key: str, client: str | None) -> Attempt:
        """Check every limit and count the attempt if it may go ahead, in one step."""
        with self._lock:
            now = self._clock()
            waits: list[tuple[float, Reason]] = [
                (self._emails.wait(key, now), "email"),
                (0.0 if client is None else self._clients.wait(client, now), "client"),
                (self._overall_wait(now), "overall"),
            ]
            wait, reason = max(waits, key=lambda pair: pair[0])
            if wait > 0:
                return Attempt(self, key, client, now, reason, wait)
            if self._running >= self.max_concurrent:
                return Attempt(self, key, client, now, "busy", self.busy_retry)
            self._running += 1
            self._emails.add(key, now)
            if client is not None:
                self._clients.add(client, now)
            self._overall.append(now)
            self._last_start = now
            return Attempt(self, key, client, now)

    @contextmanager
    def attempt(self, email: str, client: str | None = None) -> Iterator[Attempt]:
        """A login attempt for ``email`` from ``client``, counted as failed unless the caller
        calls :meth:`Attempt.succeeded`; check ``allowed`` before checking the password.

        Raises
        ------
        ValueError
            If the e-mail is longer than :data:`~access.passwords.EMAIL_LENGTH` (refuse it
            before: :func:`access.passwords.credentials_problem`).
        """
        key = normalize_email(email)
        if len(key) > EMAIL_LENGTH:
            raise ValueError(f"An e-mail longer than {EMAIL_LENGTH} characters is never tried.")
        attempt = self._admit(key, None if client is None else client[:CLIENT_LENGTH])
        try:
            yield attempt
        finally:
            if attempt.allowed:
                with self._lock:
                    self._running -= 1

    def _succeeded(self, attempt: Attempt) -> None:
        with self._lock:
            self._emails.clear(attempt.email)
            if attempt.client is not None:
                self._clients.take_back(attempt.client, attempt.started)
            if attempt.started in self._overall:
                self._overall.remove(attempt.started)

    def running(self) -> int:
        """Password checks running now (for tests and diagnostics)."""
        with self._lock:
            return self._running

    def tracked(self) -> int:
        """E-mails and client addresses with failures held (for tests and diagnostics)."""
        with self._lock:
            return len(self._emails) + len(self._clients)
