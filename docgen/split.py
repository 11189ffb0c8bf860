"""Work over many files shared between this process and one forked helper: a cold draw on two cores.

A draw with nothing remembered reads and checks 100,000 entity files: seconds of pure Python per
file that a second core halves. The work is cut into chunks; their numbers wait in a pipe, from
which this process and a helper forked from it (a copy: the same validators, nothing to send)
take them one at a time, so that whoever is free takes the next. This process first does what it
has to do anyway (`meanwhile`: the draw's other records). The helper sends back what it made,
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

    def __init__(self, count: int, work):
        self.count, self.work = count, work
        self.chunks = [(a, min(a + CHUNK, count)) for a in range(0, count, CHUNK)]
        self.pid = None
        self.tokens = self.back = None

    def start(self) -> None:
        if self.count < MIN_ITEMS or not can_fork() or len(self.chunks) * _TOKEN.size > 65536:
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
            try:
                _pid, status = os.waitpid(self.pid, 0)
            except OSError:
                status = 1
        if status != 0 or not parts:
            return {}
        import pickle

        try:
            done = pickle.loads(b"".join(parts))
        except Exception:  # noqa: BLE001 — a helper cut short: its chunks are worked here
            return {}
        return done if isinstance(done, dict) else {}
