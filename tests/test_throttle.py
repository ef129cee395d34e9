"""The password-login throttle (``access.throttle``) with a fake clock: lockout boundaries and
doubling, the window, the count taken before the password is checked (12 parallel guesses),
checks at once, the per-client and overall limits, and the bounded memory."""

from __future__ import annotations

import threading
import tracemalloc
from contextlib import ExitStack

import pytest

from access.passwords import hash_password, verify_password
from access.throttle import LoginThrottle
from tests.support.clock import Clock

ANN = "ann@example.com"


@pytest.fixture
def clock() -> Clock:
    return Clock(1000.0)


def fail(throttle: LoginThrottle, email: str, times: int = 1, client: str | None = None) -> None:
    """``times`` wrong passwords for ``email``, each let through."""
    for _ in range(times):
        with throttle.attempt(email, client) as attempt:
            assert attempt.allowed, attempt.message


def refusal(throttle: LoginThrottle, email: str, client: str | None = None) -> tuple[str, float]:
    """(reason, retry_after) of the next attempt, which must be refused."""
    with throttle.attempt(email, client) as attempt:
        assert not attempt.allowed
        return str(attempt.reason), attempt.retry_after


def test_the_fifth_failure_locks_for_thirty_seconds(clock: Clock) -> None:
    throttle = LoginThrottle(clock=clock)
    fail(throttle, ANN, 5)
    with throttle.attempt(ANN) as attempt:
        assert (attempt.allowed, attempt.reason, attempt.retry_after) == (False, "email", 30.0)
        assert attempt.message == "Too many failed logins for this e-mail. Try again in 30 s."
    clock.now += 29.999
    assert refusal(throttle, ANN) == ("email", pytest.approx(0.001))
    clock.now += 0.001
    fail(throttle, ANN)  # the wait is over: a sixth try goes ahead


def test_each_further_failure_doubles_the_wait_up_to_the_cap(clock: Clock) -> None:
    throttle = LoginThrottle(limit=2, lockout=30, max_lockout=100, window=10_000, clock=clock)
    fail(throttle, ANN, 2)
    waits = []
    for _ in range(4):
        waits.append(refusal(throttle, ANN)[1])
        clock.now += waits[-1]  # wait it out, then fail again
        fail(throttle, ANN)
    assert waits == [30.0, 60.0, 100.0, 100.0]  # 30, 60, then 120 and 240 capped at 100


def test_failures_older_than_the_window_do_not_count(clock: Clock) -> None:
    throttle = LoginThrottle(limit=3, window=60, clock=clock)
    fail(throttle, ANN, 2)
    clock.now += 60.0  # those two leave the window exactly now
    fail(throttle, ANN, 3)  # 1, 2, 3 within the window
    assert refusal(throttle, ANN) == ("email", 30.0)


def test_success_clears_and_emails_count_apart(clock: Clock) -> None:
    throttle = LoginThrottle(limit=2, clock=clock)
    fail(throttle, " Ann@Example.com ", 2)  # case and spaces ignored
    assert refusal(throttle, ANN) == ("email", 30.0)
    fail(throttle, "bob@example.com")
    clock.now += 30.0
    with throttle.attempt("ANN@example.com") as attempt:
        attempt.succeeded()
        attempt.succeeded()  # twice is once
    fail(throttle, ANN)  # one failure since the success: not locked
    fail(throttle, ANN)
    assert refusal(throttle, ANN) == ("email", 30.0)


def test_twelve_parallel_guesses_get_at_most_limit_password_checks(clock: Clock) -> None:
    """The count is taken before the password is checked: of 12 guesses sent at once, five are
    checked and seven refused without hashing; then even the right password waits."""
    stored = hash_password("the right one")
    throttle = LoginThrottle(limit=5, max_concurrent=12, clock=clock)
    start = threading.Barrier(12)
    checked: list[bool] = []
    refused: list[str] = []

    def guess(n: int) -> None:
        start.wait()
        with throttle.attempt(ANN) as attempt:
            if attempt.allowed:
                checked.append(verify_password(stored, f"guess {n}"))
            else:
                refused.append(str(attempt.reason))

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert checked == [False] * 5
    assert refused == ["email"] * 7
    assert throttle.running() == 0
    with throttle.attempt(ANN) as attempt:  # the right password is not even checked
        assert (attempt.allowed, attempt.retry_after) == (False, 30.0)


def test_at_most_four_password_checks_at_once(clock: Clock) -> None:
    throttle = LoginThrottle(clock=clock)
    with ExitStack() as stack:
        held = [stack.enter_context(throttle.attempt(f"u{n}@example.com")) for n in range(4)]
        assert all(attempt.allowed for attempt in held)
        assert throttle.running() == 4
        with throttle.attempt("u5@example.com") as busy:
            assert (busy.reason, busy.retry_after) == ("busy", 1.0)
            assert (
                busy.message == "The server is checking other logins right now. Try again in 1 s."
            )
        assert throttle.tracked() == 4  # the refused one is not counted as a failure
        with pytest.raises(RuntimeError, match="refused login attempt cannot succeed"):
            busy.succeeded()
    assert throttle.running() == 0
    fail(throttle, "u5@example.com")  # free again


def test_a_client_address_is_limited_across_emails(clock: Clock) -> None:
    throttle = LoginThrottle(client_limit=3, clock=clock)
    fail(throttle, "a@example.com", client="203.0.113.7")
    fail(throttle, "b@example.com", client="203.0.113.7")
    with throttle.attempt("c@example.com", "203.0.113.7") as attempt:
        attempt.succeeded()  # a right password uncounts itself only
    fail(throttle, "d@example.com", client="203.0.113.7")  # the third failure
    with throttle.attempt("e@example.com", "203.0.113.7") as attempt:
        assert (attempt.reason, attempt.retry_after) == ("client", 30.0)
        assert attempt.message.startswith("Too many failed logins from your network address.")
    fail(throttle, "e@example.com", client="198.51.100.1")  # another address may
    fail(throttle, "e@example.com")  # so may an unknown one (no per-client count)
    clock.now += 30.0
    fail(throttle, "e@example.com", client="203.0.113.7")


def test_many_failures_overall_slow_every_attempt(clock: Clock) -> None:
    throttle = LoginThrottle(overall_limit=3, overall_window=60, overall_interval=2, clock=clock)
    for name in ("a", "b", "c"):
        fail(throttle, f"{name}@example.com")
    # three failures within a minute: one attempt per 2 s on the whole server
    with throttle.attempt("d@example.com") as attempt:
        assert (attempt.reason, attempt.retry_after) == ("overall", 2.0)
        assert attempt.message == (
            "Many logins are failing on this server right now, so logins are slowed down. "
            "Try again in 2 s."
        )
    clock.now += 1.5
    assert refusal(throttle, "e@example.com") == ("overall", 0.5)
    clock.now += 0.5
    fail(throttle, "e@example.com")  # 1002: let through, the next one waits 2 s again
    assert refusal(throttle, "f@example.com") == ("overall", 2.0)
    clock.now = 1061.0  # the failures of 1000 have left the last minute, 1002's has not
    fail(throttle, "f@example.com")
    fail(throttle, "g@example.com")  # 1002, 1061, 1061 within a minute: slowed down again
    assert refusal(throttle, "h@example.com") == ("overall", 2.0)


def test_over_long_emails_are_never_stored(clock: Clock) -> None:
    throttle = LoginThrottle(clock=clock)
    longest = "a" * 308 + "@example.com"  # 320 characters
    fail(throttle, longest)
    with (
        pytest.raises(ValueError, match="longer than 320 characters"),
        throttle.attempt("a" + longest),
    ):
        pass
    assert throttle.tracked() == 1


def test_memory_is_bounded_whatever_is_sent(clock: Clock) -> None:
    """20,000 distinct 320-character e-mails from 20,000 addresses, and one e-mail failing
    10,000 times, hold at most ``max_tracked`` of each and a few failures per e-mail."""
    throttle = LoginThrottle(max_tracked=500, max_lockout=960, clock=clock)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for n in range(20_000):
            clock.now += 3.0  # slower than the overall limit
            fail(throttle, f"{n:0>308}@example.com", client=f"10.{n // 256 % 256}.{n % 256}.1")
        for _ in range(10_000):
            clock.now += 960.0  # each lockout waited out
            fail(throttle, ANN)
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert throttle.tracked() == 1000  # 500 e-mails (ANN among them) and 500 addresses
    assert grown < 2_000_000  # bytes (about 1.1 MB); held without a bound: about 42 MB


@pytest.mark.parametrize(
    "kwargs",
    [
        {"limit": 0},
        {"limit": True},
        {"limit": 2.5},
        {"client_limit": 0},
        {"overall_limit": -1},
        {"max_concurrent": 0},
        {"max_tracked": 0},
        {"lockout": 0},
        {"window": 0},
        {"overall_window": 0},
        {"overall_interval": -2},
        {"busy_retry": "1"},
        {"lockout": 1000, "max_lockout": 900},
    ],
)
def test_bad_settings_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        LoginThrottle(**kwargs)  # type: ignore[arg-type]
