"""The failed-login throttle (``crm_data.throttle``): exact lockout boundaries with a fake clock,
doubling, the window, per-e-mail counts, and many threads failing at once."""

from __future__ import annotations

import threading

import pytest

from crm_data import throttle as throttle_module
from crm_data.throttle import LoginThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def fail(throttle: LoginThrottle, email: str, times: int) -> None:
    for _ in range(times):
        throttle.failed(email)


def test_the_fifth_failure_locks_for_thirty_seconds(clock: Clock) -> None:
    throttle = LoginThrottle(clock=clock)
    fail(throttle, "ann@example.com", 4)
    assert throttle.retry_after("ann@example.com") == 0.0
    throttle.failed("ann@example.com")
    assert throttle.retry_after("ann@example.com") == 30.0
    clock.now += 29.999
    assert throttle.retry_after("ann@example.com") == pytest.approx(0.001)
    clock.now += 0.001
    assert throttle.retry_after("ann@example.com") == 0.0


def test_each_further_failure_doubles_the_wait_up_to_the_cap(clock: Clock) -> None:
    throttle = LoginThrottle(limit=2, lockout=30, max_lockout=100, window=10_000, clock=clock)
    fail(throttle, "ann@example.com", 2)
    waits = []
    for _ in range(4):
        waits.append(throttle.retry_after("ann@example.com"))
        clock.now += waits[-1]  # wait it out, then fail again
        throttle.failed("ann@example.com")
    assert waits == [30.0, 60.0, 100.0, 100.0]  # 30, 60, then 120 and 240 capped at 100


def test_failures_older_than_the_window_do_not_count(clock: Clock) -> None:
    throttle = LoginThrottle(limit=3, window=60, clock=clock)
    fail(throttle, "ann@example.com", 2)
    clock.now += 60.0  # those two leave the window exactly now
    throttle.failed("ann@example.com")
    assert throttle.retry_after("ann@example.com") == 0.0
    fail(throttle, "ann@example.com", 2)
    assert throttle.retry_after("ann@example.com") == 30.0


def test_success_clears_and_emails_count_apart(clock: Clock) -> None:
    throttle = LoginThrottle(limit=2, clock=clock)
    fail(throttle, " Ann@Example.com ", 2)  # case and spaces ignored
    assert throttle.retry_after("ann@example.com") == 30.0
    assert throttle.retry_after("bob@example.com") == 0.0
    throttle.succeeded("ANN@example.com")
    assert throttle.retry_after("ann@example.com") == 0.0


def test_failures_from_many_threads_all_count(clock: Clock) -> None:
    throttle = LoginThrottle(limit=200, clock=clock)
    start = threading.Barrier(8)

    def worker() -> None:
        start.wait()
        fail(throttle, "ann@example.com", 25)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert throttle.retry_after("ann@example.com") == 30.0  # exactly 200 counted
    throttle = LoginThrottle(limit=201, clock=clock)
    fail(throttle, "ann@example.com", 200)
    assert throttle.retry_after("ann@example.com") == 0.0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"limit": 0},
        {"limit": True},
        {"limit": 2.5},
        {"lockout": 0},
        {"window": 0},
        {"lockout": 1000, "max_lockout": 900},
    ],
)
def test_bad_settings_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        LoginThrottle(**kwargs)  # type: ignore[arg-type]


def test_many_emails_are_forgotten_once_their_failures_age(
    clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(throttle_module, "MAX_TRACKED", 3)
    throttle = LoginThrottle(limit=2, window=60, clock=clock)
    for name in ("a", "b", "c"):
        throttle.failed(f"{name}@example.com")
    throttle.failed("d@example.com")  # over the limit, but every failure is recent: all kept
    assert throttle.tracked() == 4
    clock.now += 30.0
    fail(throttle, "a@example.com", 1)  # a is locked out (2 recent failures)
    clock.now += 30.0  # the first four failures leave the window; a's second does not
    throttle.failed("e@example.com")
    assert throttle.tracked() == 2  # a and e
    assert throttle.retry_after("a@example.com") == 0.0  # one failure left in the window
    fail(throttle, "a@example.com", 1)
    assert throttle.retry_after("a@example.com") == 30.0
