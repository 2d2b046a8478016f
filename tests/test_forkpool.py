"""The scan's forked workers (twinscan/scan/forkpool.py): every task answered once, a dead or
failing worker costs its own tasks only and says why, leaving early stops every worker."""
from __future__ import annotations

import os
import signal
import sys

import pytest

import twinscan.scan.driver as driver
from twinscan.scan import forkpool

from .conftest import cli_json

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers are forked on Linux only; elsewhere the spawn pool runs")


@pytest.fixture(autouse=True)
def _no_hang():
    """A pool that never ends fails the test instead of the whole run hanging."""
    def stuck(*_):
        raise TimeoutError("the pool did not finish within 60 s")

    old = signal.signal(signal.SIGALRM, stuck)
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def _square_and_pid(n):
    return n * n, os.getpid()


def test_every_task_is_answered_once_by_a_worker():
    answers = dict(forkpool.imap(_square_and_pid, list(range(50)), 3))
    assert sorted(answers) == list(range(50))
    assert all(answers[i][0] == i * i for i in range(50))
    pids = {pid for _, pid in answers.values()}
    assert os.getpid() not in pids and 1 <= len(pids) <= 3


def _still_running(pid: int) -> bool:
    """Whether *pid* is a child of this process that has not been reaped (running or a zombie)."""
    try:
        os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return False
    return True


def test_workers_of_a_finished_pool_are_reaped_by_the_next_pool_at_the_latest():
    """A finished pool does not wait for its workers' exit (the run's last result is in), and
    none is left behind: the next pool reaps every one before it forks its own."""
    first = {pid for _, (_, pid) in forkpool.imap(_square_and_pid, list(range(8)), 2)}
    second = {pid for _, (_, pid) in forkpool.imap(_square_and_pid, list(range(8)), 2)}
    assert first and second and not first & second
    assert not any(_still_running(pid) for pid in first)
    assert set(forkpool._exiting) <= second


def _big(n):
    return bytes([n]) * (3 << 20)  # past the pipe's buffer and the pool's chunk size


def test_answers_larger_than_a_pipe_arrive_whole():
    tasks = [1, 2, 3, 4]
    answers = dict(forkpool.imap(_big, tasks, 2))
    assert {i: (len(a), a[0], a[-1]) for i, a in answers.items()} == {i: (3 << 20, n, n) for i, n in enumerate(tasks)}


def _die_on_three(n):
    if n == 3:
        os.kill(os.getpid(), signal.SIGKILL)
    return n


def test_a_killed_worker_loses_its_task_only_and_says_why():
    answers = dict(forkpool.imap(_die_on_three, list(range(8)), 2))
    assert sorted(answers) == list(range(8))
    lost = answers.pop(3)
    assert isinstance(lost, forkpool.Lost)
    assert lost.reason == "the scanning process stopped (killed by signal 9 (SIGKILL), perhaps for lack of memory)"
    assert answers == {i: i for i in range(8) if i != 3}


def _always_die(n):
    os.kill(os.getpid(), signal.SIGKILL)


def test_workers_that_all_die_still_answer_every_task():
    answers = dict(forkpool.imap(_always_die, list(range(5)), 2))
    assert sorted(answers) == list(range(5)) and all(isinstance(a, forkpool.Lost) for a in answers.values())


def _raise_on_two(n):
    if n == 2:
        raise ValueError("boom")
    return n


def test_a_task_that_raises_comes_back_as_lost_with_the_exception():
    answers = dict(forkpool.imap(_raise_on_two, list(range(5)), 2))
    assert answers[2] == forkpool.Lost("internal error in a scanning process (ValueError: boom); please report it")
    assert {i: answers[i] for i in (0, 1, 3, 4)} == {0: 0, 1: 1, 3: 3, 4: 4}


def _slow_pid(n):
    import time

    if n:
        time.sleep(30)
    return os.getpid()


def test_leaving_early_stops_every_worker():
    answers = forkpool.imap(_slow_pid, [0, 1, 2, 3], 2)
    _, pid = next(answers)  # the one quick task; the other worker sleeps in its task
    answers.close()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # reaped, not left behind


def _kill_on_crash_js(items):
    """The worker's scan, except that a worker given `crash.js` dies (as a native crash would)."""
    if any(item.display.endswith("crash.js") for item in items):
        os.kill(os.getpid(), signal.SIGKILL)
    return _real_scan_in_worker(items)


_real_scan_in_worker = driver._scan_in_worker


def test_a_worker_killed_mid_scan_makes_the_scan_incomplete_not_a_traceback(monkeypatch, tmp_path):
    dist = tmp_path / "dist" / "assets"
    dist.mkdir(parents=True)
    for i in range(12):
        (dist / f"chunk-{i}.js").write_text(f'var a{i}=1;fetch("https://api.stripe.com/v1/charges/{i}");\n')
    (dist / "crash.js").write_text("var x=1;\n")
    monkeypatch.setattr(driver, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(driver, "_scan_in_worker", _kill_on_crash_js)
    code, doc = cli_json(["--jobs", "2", tmp_path / "dist"])
    assert code == 3 and doc["summary"]["incomplete"]
    assert [(e["path"].rsplit("/", 1)[-1], e["message"]) for e in doc["errors"]] == [
        ("crash.js", "not scanned: the scanning process stopped (killed by signal 9 (SIGKILL), perhaps for lack of memory)")]
    assert doc["summary"]["files"] == 12 and not doc["findings"]
