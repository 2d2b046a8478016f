"""Worker processes forked from the scan's own process (Linux), each fed its tasks over a pipe.

Why not :class:`concurrent.futures.ProcessPoolExecutor`: importing it with :mod:`multiprocessing`
cost ~26 ms of a pooled run's serial start (issue 14: the start, before any worker scans, is
half of ripgrep's whole run on a 300 MB tree), and it adds a management thread and a feeder
thread per run. A forked worker already holds everything a task needs (the compiled scanner and
the list of items, inherited), so a task is an index and a result one pickle: two pipes per
worker, ``select`` and :mod:`pickle` are enough. What this pool also does that the executor did
not: when a worker dies (killed, out of memory, a crash in a native parser), its tasks come back
as :class:`Lost` with the reason, so the caller reports those files as unread instead of the run
ending in a traceback. Spawn platforms (macOS, Windows) keep the executor (driver.py).
"""
from __future__ import annotations

import os
import pickle
import select
import signal
import struct
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Sequence

#: Tasks handed to one worker before it answers the first: it starts the next at once.
DEPTH = 2
_TASK = struct.Struct("<i")
_ANSWER = struct.Struct("<iiQ")  # task index, status (0: result, 1: exception text), payload bytes
_CHUNK = 1 << 20
#: Workers told to stop after their last answer and not reaped yet: a worker's exit (the kernel
#: unmapping what it touched) took 2-3 ms each at the end of every pooled run, after the last
#: result was in. They are reaped as soon as they are gone, at the latest when the next pool starts.
_exiting: list[int] = []


@dataclass(frozen=True)
class Lost:
    """A task with no result: its worker died (``reason`` says how) or raised (the exception's text)."""

    reason: str


def imap(func: Callable[[Any], Any], tasks: Sequence[Any], jobs: int) -> Iterator[tuple[int, Any]]:
    """``(index, func(tasks[index]))`` for every task, in the order they finish, computed in
    ``jobs`` forked workers; a task whose worker died or raised yields :class:`Lost`. Leaving
    the iteration early (an exception, Ctrl-C) stops the workers."""
    _reap_exited(block=True)
    workers: list[_Worker] = []
    todo = deque(range(len(tasks)))
    try:
        for _ in range(max(1, min(jobs, len(tasks)))):
            workers.append(_Worker.fork(func, tasks, workers))
        while True:
            for w in workers:
                w.feed(todo)
            busy = {w.answers: w for w in workers if w.held}
            if not busy:
                if not todo:
                    break
                for w in workers:  # every one died before it took a task (its pipe broke): start afresh
                    w.stop()
                workers = [_Worker.fork(func, tasks, [])]
                continue
            poll = select.poll()  # not select(): no limit on descriptor numbers
            for fd in busy:
                poll.register(fd, select.POLLIN)
            for fd, _ in poll.poll():
                w = busy[fd]
                answer = w.receive()
                if answer is None:  # died: the task it was on is lost; those queued behind it go to the others
                    why = w.reap()
                    lost = w.held.popleft()  # a worker answers in order: the oldest unanswered is the one it was on
                    todo.extendleft(reversed(w.held))
                    w.held.clear()
                    w.close()
                    workers.remove(w)
                    if todo and not workers:
                        workers.append(_Worker.fork(func, tasks, workers))
                    yield lost, Lost(why)
                    continue
                yield answer
    finally:
        for w in workers:
            w.stop()


class _Worker:
    def __init__(self, pid: int, tasks_fd: int, answers_fd: int):
        self.pid, self.tasks, self.answers = pid, tasks_fd, answers_fd
        self.held: deque[int] = deque()  # the indexes sent and not answered yet, in order
        self.exit: str | None = None
        self.broken = False  # its task pipe has no reader: it died

    @classmethod
    def fork(cls, func, tasks, others: list[_Worker]) -> _Worker:
        task_r, task_w = os.pipe()
        answer_r, answer_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the worker: never returns into the caller's code
            status = 1
            try:
                # the parent's ends of the other workers' pipes: held open here, a worker would
                # never see its task pipe close, and the parent would wait for it forever
                for fd in (task_w, answer_r, *(fd for w in others for fd in (w.tasks, w.answers) if fd >= 0)):
                    os.close(fd)
                _serve(func, tasks, task_r, answer_w)
                status = 0
            finally:
                os._exit(status)
        os.close(task_r)
        os.close(answer_w)
        return cls(pid, task_w, answer_r)

    def feed(self, todo: deque[int]) -> None:
        """Send tasks from the front of *todo* until the worker holds DEPTH of them. A worker
        that has died takes none (its pipe is broken): its death is seen on its answer pipe."""
        while todo and len(self.held) < DEPTH and not self.broken:
            index = todo.popleft()
            try:
                os.write(self.tasks, _TASK.pack(index))  # 4 bytes into an empty-enough pipe: never blocks
            except BrokenPipeError:
                todo.appendleft(index)
                self.broken = True
                return
            self.held.append(index)

    def receive(self) -> tuple[int, Any] | None:
        head = _read_exact(self.answers, _ANSWER.size)
        if head is None:
            return None
        index, status, size = _ANSWER.unpack(head)
        payload = _read_exact(self.answers, size)
        if payload is None:
            return None
        self.held.remove(index)
        return index, pickle.loads(payload) if status == 0 else Lost(payload.decode("utf-8", "replace"))

    def reap(self) -> str:
        """Wait for the dead worker and say how it ended."""
        if self.exit is None:
            try:
                _, code = os.waitpid(self.pid, 0)
            except ChildProcessError:
                code = 0
            if os.WIFSIGNALED(code):
                sig = os.WTERMSIG(code)
                try:
                    name = signal.Signals(sig).name
                except ValueError:  # a real-time signal has no name
                    name = str(sig)
                why = f"killed by signal {sig} ({name})"
                if sig == signal.SIGKILL:
                    why += ", perhaps for lack of memory"
            else:
                why = f"exited with status {os.WEXITSTATUS(code)}"
            self.exit = f"the scanning process stopped ({why})"
        return self.exit

    def close(self) -> None:
        for fd in (self.tasks, self.answers):
            try:
                os.close(fd)
            except OSError:
                pass
        self.tasks = self.answers = -1

    def stop(self) -> None:
        """End the worker: at once if it still holds tasks (the caller left early; it is reaped
        here), else by closing its task pipe, which it reads as "no more" (reaped when gone)."""
        if self.exit is None and self.held:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.close()
            self.reap()
            return
        self.close()
        if self.exit is None:
            _exiting.append(self.pid)
            _reap_exited(block=False)


def _reap_exited(block: bool) -> None:
    """Reap the stopped workers that have exited (with ``block``, every one, waiting for it)."""
    for pid in list(_exiting):
        try:
            done, _ = os.waitpid(pid, 0 if block else os.WNOHANG)
        except ChildProcessError:  # reaped by someone else (a SIGCHLD handler of the caller's)
            done = pid
        if done:
            _exiting.remove(pid)


def _serve(func, tasks, task_fd: int, answer_fd: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a terminal's Ctrl-C reaches every worker: the parent handles it
    while True:
        head = _read_exact(task_fd, _TASK.size)
        if head is None:
            return
        (index,) = _TASK.unpack(head)
        try:
            payload, status = pickle.dumps(func(tasks[index]), pickle.HIGHEST_PROTOCOL), 0
        except Exception as exc:  # noqa: BLE001 - the parent reports it for this task's files
            payload, status = f"internal error in a scanning process ({type(exc).__name__}: {exc}); please report it".encode(), 1
        header = _ANSWER.pack(index, status, len(payload))
        if len(payload) < _CHUNK:  # one write: header and payload together
            _write_all(answer_fd, header + payload)
        else:  # not copied to prepend the header
            _write_all(answer_fd, header)
            _write_all(answer_fd, payload)


def _read_exact(fd: int, size: int) -> bytes | None:
    """Exactly *size* bytes from a pipe, or None at its end (the writer died or closed it)."""
    first = os.read(fd, size)
    if len(first) == size:
        return first
    if not first and size:
        return None
    parts, got = [first], len(first)
    while got < size:
        more = os.read(fd, min(size - got, _CHUNK))
        if not more:
            return None
        parts.append(more)
        got += len(more)
    return b"".join(parts)


def _write_all(fd: int, data: bytes) -> None:
    with memoryview(data) as view:
        done = 0
        while done < len(view):
            done += os.write(fd, view[done:])
