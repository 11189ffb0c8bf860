"""Work shared between this process and one forked helper: a cold check or draw, a build's rendering on two cores.

A check or a draw with nothing remembered reads 100,000 entity files, a cold build renders 6,000
documents: seconds of pure Python that a second core halves. The work is cut into chunks; their
numbers wait in a pipe, from which this process and a helper forked from it (a copy: the same
validators and templates, nothing to send) take them one at a time, so that whoever is free takes
the next. This process may first do what it has to do anyway (the draw reads its other records).
The helper sends back what it made, a chunk at a time, pickled through a second pipe (between a
process and its own copy, nothing else reads it), which a thread of this process empties as it
comes; this process unpickles the results between its own chunks, so that they are in by the time
the work is done. The helper ends without running
anything of the parent's (`os._exit`). A chunk the helper did not send back whole — it failed, or
was killed — is worked here. Results come back in the chunks' order, so the outcome is the same as
working them one after the other.

Only where `os.fork` copies a process safely (Linux); elsewhere, and for little work, everything
runs here, in order.
"""

from __future__ import annotations

import os
import struct
import sys
import weakref
from collections import deque

MIN_ITEMS = 2000  # fewer: not worth a process
CHUNK = 500
_TOKEN = struct.Struct("<I")
_LENGTH = struct.Struct("<Q")  # before each chunk's pickled result
_PIPE_BYTES = 1 << 20  # the result pipe's buffer, where the system allows, and the most read at once
_active = None  # a weak reference to the `Shared` whose helper is at work (one at a time: two cores)


def can_fork() -> bool:
    """Linux, two cores for this process and no other thread (`stamping.may_fork`: a child forked
    beside a running thread may find a lock held forever)."""
    from docgen.records.stamping import may_fork

    return sys.platform.startswith("linux") and may_fork()


class Shared:
    """`work(start, stop)` over `range(count)` in chunks; `start()` hands chunks to a helper at once,
    `results()` takes the others here and returns every chunk's result, in order."""

    def __init__(self, count: int, work, chunk: int | None = None, min_items: int | None = None):
        """`chunk`: items a chunk holds (`CHUNK`); `min_items`: fewer items are all worked here (`MIN_ITEMS`)."""
        self.count, self.work = count, work
        size = chunk or CHUNK
        self.min_items = MIN_ITEMS if min_items is None else min_items
        self.chunks = [(a, min(a + size, count)) for a in range(0, count, size)]
        self.pid = None
        self.tokens = self.back = None
        self.received: dict[int, object] = {}  # the helper's results, by chunk
        self.incoming: deque[bytes] = deque()  # what the reader thread took from the pipe, not yet looked at
        self.pending = bytearray()  # what the helper sent that is not yet a whole chunk's result
        self.reader = None

    def start(self) -> None:
        global _active
        _reap()
        if self.count < self.min_items or _busy() or not can_fork() or len(self.chunks) * _TOKEN.size > 65536:
            return  # (one helper at a time: a draw reads its other records while its helper works)
        tokens_r, tokens_w = os.pipe()
        try:
            back_r, back_w = os.pipe()
        except OSError:
            os.close(tokens_r)
            os.close(tokens_w)
            return
        _widen(back_w)
        os.write(tokens_w, b"".join(_TOKEN.pack(i) for i in range(len(self.chunks))))  # fits the pipe's buffer
        os.close(tokens_w)
        try:
            pid = os.fork()
        except OSError:
            for fd in (tokens_r, back_r, back_w):
                os.close(fd)
            return
        if pid == 0:  # the helper
            code = 1
            try:
                os.close(back_r)
                import pickle

                for i in self._claimed(tokens_r):
                    frame = pickle.dumps((i, self.work(*self.chunks[i])), protocol=pickle.HIGHEST_PROTOCOL)
                    _write_all(back_w, _LENGTH.pack(len(frame)))
                    _write_all(back_w, frame)
                # closed now: at `_exit` the system frees this copy's memory before closing its files,
                # and the parent would wait for that to see the end (~0.1 s for a process of 1 GB)
                os.close(back_w)
                code = 0
            except BaseException:  # noqa: BLE001 — whatever it was, the parent works the chunks itself
                pass
            finally:
                os._exit(code)
        os.close(back_w)
        self.pid, self.tokens, self.back = pid, tokens_r, back_r
        _active = weakref.ref(self)
        import threading

        # the pipe is emptied as the helper writes, whatever this process is doing meanwhile (the
        # system call lets go of the interpreter): the helper never waits for room in it
        # (not holding this object: one dropped unasked stops its helper, `__del__`)
        self.reader = threading.Thread(target=_receive, args=(back_r, self.incoming), name="docgen-split-reader",
                                       daemon=True)
        self.reader.start()

    @staticmethod
    def _claimed(tokens: int):
        while True:
            token = os.read(tokens, _TOKEN.size)
            if len(token) < _TOKEN.size:
                return
            yield _TOKEN.unpack(token)[0]

    def results(self) -> list:
        if self.pid is None:
            return [self.work(a, b) for a, b in self.chunks]
        mine = {}
        try:
            for i in self._claimed(self.tokens):
                mine[i] = self.work(*self.chunks[i])
                self._drain()
        except BaseException:  # the work here failed: the helper's is not wanted either
            self._close_tokens()
            self._abandon()
            raise
        self._close_tokens()
        self._finish()
        theirs, self.received = self.received, {}
        return [mine[i] if i in mine else theirs[i] if i in theirs else self.work(*self.chunks[i])
                for i in range(len(self.chunks))]

    def _close_tokens(self) -> None:
        os.close(self.tokens)
        self.tokens = None

    def _drain(self) -> None:
        """The chunks' results the helper has sent so far, unpickled (between this process's chunks)."""
        while self.incoming:
            self.pending += self.incoming.popleft()
        self._frames()

    def _frames(self) -> None:
        """Each whole chunk's result in `pending`, unpickled; a damaged one is left to be worked here."""
        import pickle

        buffer, at = self.pending, 0
        with memoryview(buffer) as view:
            while len(buffer) - at >= _LENGTH.size:
                (size,) = _LENGTH.unpack_from(buffer, at)
                if len(buffer) - at - _LENGTH.size < size:
                    break
                with view[at + _LENGTH.size:at + _LENGTH.size + size] as frame:
                    try:
                        i, result = pickle.loads(frame)
                        self.received[i] = result
                    except Exception:  # noqa: BLE001 — a helper's fault: that chunk is worked here
                        pass
                at += _LENGTH.size + size
        del buffer[:at]

    def _finish(self) -> None:
        try:
            self.reader.join()  # the helper has closed its end: everything is in
            self._drain()
        finally:
            self._abandon(stop=False)

    def _abandon(self, stop: bool = True) -> None:
        """Close the pipe from the helper (stopping it first, when its work is not wanted) and reap it."""
        if stop:
            try:
                import signal

                os.kill(self.pid, signal.SIGKILL)
            except OSError:
                pass
        if not sys.is_finalizing():  # (a daemon thread no longer runs once Python is shutting down)
            self.reader.join()  # ends with the helper's end of the pipe (stopped, or done)
        os.close(self.back)
        self.back = None
        _reap(self.pid)
        self.incoming.clear()
        self.pending = bytearray()

    def __del__(self):
        # started and never asked for its results (the work meanwhile failed): the helper is stopped
        if self.back is not None:
            if self.tokens is not None:
                try:
                    os.close(self.tokens)
                except OSError:
                    pass
            self._abandon()


def _receive(fd: int, incoming: deque) -> None:
    """(In the reader thread) what the helper sends, as it comes, until it closes its end."""
    try:
        while True:
            part = os.read(fd, _PIPE_BYTES)
            if not part:
                return
            incoming.append(part)
    except OSError:
        return


def _write_all(fd: int, data) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _widen(fd: int) -> None:
    """A pipe buffer of `_PIPE_BYTES` where Linux allows it (64 KiB otherwise: more, smaller reads)."""
    try:
        import fcntl

        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), _PIPE_BYTES)
    except (ImportError, OSError):
        pass


def _busy() -> bool:
    shared = _active() if _active is not None else None
    return shared is not None and shared.back is not None


_exiting: list[int] = []  # helpers that sent everything and are still being taken down by the system


def _reap(pid: int | None = None) -> None:
    """Collect helpers that have ended, without waiting for one still exiting: what it sent is
    complete (whole chunks' results, or nothing usable), whatever its exit status."""
    if pid is not None:
        _exiting.append(pid)
    for waiting in list(_exiting):
        try:
            done, _status = os.waitpid(waiting, os.WNOHANG)
        except OSError:  # not ours any more
            done = waiting
        if done:
            _exiting.remove(waiting)
