"""Work shared between this process and one forked helper: a cold draw, a build's rendering on two cores.

A draw with nothing remembered reads and checks 100,000 entity files, a cold build renders 6,000
documents: seconds of pure Python that a second core halves. The work is cut into chunks; their
numbers wait in a pipe, from which this process and a helper forked from it (a copy: the same
validators and templates, nothing to send) take them one at a time, so that whoever is free takes
the next. This process first does what it has to do anyway (`meanwhile`: the draw's other records). The helper sends back what it made,
pickled through a second pipe (between a process and its own copy, nothing else reads it), and
ends without running anything of the parent's (`os._exit`). A chunk the helper did not send back —
it failed, or was killed — is worked here. Results come back in the chunks' order, so the outcome
is the same as working them one after the other.

Only where `os.fork` copies a process safely (Linux); elsewhere, and for little work, everything
runs here, in order.
"""

from __future__ import annotations

import os
import struct
import sys

MIN_ITEMS = 2000  # fewer: not worth a process
CHUNK = 500
_TOKEN = struct.Struct("<I")


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

    def start(self) -> None:
        _reap()
        if self.count < self.min_items or not can_fork() or len(self.chunks) * _TOKEN.size > 65536:
            return
        tokens_r, tokens_w = os.pipe()
        try:
            back_r, back_w = os.pipe()
        except OSError:
            os.close(tokens_r)
            os.close(tokens_w)
            return
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
                done = {}
                for i in self._claimed(tokens_r):
                    done[i] = self.work(*self.chunks[i])
                import pickle

                data = pickle.dumps(done, protocol=pickle.HIGHEST_PROTOCOL)
                view = memoryview(data)
                while view:
                    view = view[os.write(back_w, view):]
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
        finally:
            os.close(self.tokens)
            theirs = self._collect()
        return [mine[i] if i in mine else theirs[i] if i in theirs else self.work(*self.chunks[i])
                for i in range(len(self.chunks))]

    def _collect(self) -> dict:
        parts = []
        try:
            while True:
                part = os.read(self.back, 1 << 20)
                if not part:
                    break
                parts.append(part)
        except OSError:
            parts = []
        finally:
            os.close(self.back)
            _reap(self.pid)
        if not parts:
            return {}
        import pickle

        try:
            done = pickle.loads(b"".join(parts))
        except Exception:  # noqa: BLE001 — a helper cut short: its chunks are worked here
            return {}
        return done if isinstance(done, dict) else {}


_exiting: list[int] = []  # helpers that sent everything and are still being taken down by the system


def _reap(pid: int | None = None) -> None:
    """Collect helpers that have ended, without waiting for one still exiting: what it sent is
    complete (a whole pickle, or nothing usable), whatever its exit status."""
    if pid is not None:
        _exiting.append(pid)
    for waiting in list(_exiting):
        try:
            done, _status = os.waitpid(waiting, os.WNOHANG)
        except OSError:  # not ours any more
            done = waiting
        if done:
            _exiting.remove(waiting)
