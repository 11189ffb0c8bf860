"""The stat stamps of records/' big folders, taken by two processes when there are many files.

A no-op run over a county's archive must stat 100,000 record files (an edit in place changes no
folder's stamp). The system call costs about 4 µs on a small virtual machine and holds the GIL
only around it: two threads were slower than one, but two processes take about 60 % of one's time.
So, on POSIX, with no other thread running and two cores to run on, a forked child shares the
work: the files are cut into at most 255 chunks, each process takes the next chunk from a pipe
(one byte, the chunk's number; a read of one byte is atomic), stats its files and writes their
packed stamps (`tree.pack`) into memory both processes share, then marks the chunk done. Whichever
core is free does more; the parent also does its other work (the output folder's stamps, reading
the last run) before it joins in, so the child starts first.

Nothing depends on the child: a chunk it did not mark done (it failed, was killed, could not be
forked) is stat'ed by the parent, and a chunk with a number too wide for 64 bits is taken again in
one piece with its folder (`pack` then gives a list). The stamps come out the same, number for
number, whichever process took them, so the digest a replay compares is the same too.
"""

from __future__ import annotations

import gc
import mmap
import os
import struct
import sys
from array import array

from docgen.records.tree import GONE, Node, newest_of, pack

FORK_MIN = 10_000  # fewer record files than this in big folders: one process (a fork and join cost ~10 ms)
CHUNKS = 255  # chunk numbers are one byte
_STAMP_BYTES = 32  # 4 signed 64-bit numbers a file
_SLOT = struct.Struct("qq")  # a chunk's state (0 to do, 1 done, 2 too wide) and newest time
_NUMBER = struct.Struct("q")
DONE, WIDE = 1, 2


def may_fork() -> bool:
    """Whether a child may be forked to share the stat calls: POSIX, two cores for this process, and no
    other thread (a child forked beside a running thread may find a lock held forever)."""
    if os.name != "posix" or not hasattr(os, "fork"):
        return False
    threading = sys.modules.get("threading")
    if threading is not None and threading.active_count() > 1:
        return False
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return cores >= 2


class Stamping:
    """Takes the stamps of `nodes` (`tree.Node`s listed with their entries kept): started at once,
    in a child when worthwhile; `finish` stamps what is left, sets each node's `stats` and returns
    the newest modification or change time among them."""

    def __init__(self, nodes: list[Node], parallel: bool = True):
        self.nodes = nodes
        self.child: int | None = None
        self.shared = self.claims = None
        self.entries: list = []
        self.total = sum(len(node.entries) for node in nodes)
        if parallel and self.total >= FORK_MIN and may_fork():
            try:
                self._fork()
            except OSError:  # no fork (out of processes or memory): one process does it all
                self._drop()

    def _fork(self) -> None:
        self.entries = [entry for node in self.nodes for entry in node.entries]
        self.size = -(-self.total // CHUNKS)
        self.chunks = chunks = -(-self.total // self.size)
        self.base = chunks * _SLOT.size
        self.shared = mmap.mmap(-1, self.base + self.total * _STAMP_BYTES)  # shared with the child
        read, write = os.pipe()
        try:
            os.write(write, bytes(range(chunks)))  # fewer bytes than a pipe holds: never blocks
        finally:
            os.close(write)
        self.claims = read
        pid = os.fork()
        if pid == 0:  # the child: stamp chunks until none is left, then leave without cleaning up
            code = 1
            try:
                gc.disable()  # a collection would touch (and so copy) every page of the parent's objects
                self._work()
                code = 0
            finally:
                os._exit(code)
        self.child = pid

    def _work(self) -> None:
        """Stamp the chunks nobody has taken yet (in the child, or in the parent once it joins in)."""
        while True:
            taken = os.read(self.claims, 1)
            if not taken:
                return
            self._stamp_chunk(taken[0])

    def _stamp_chunk(self, number: int) -> None:
        start = number * self.size
        stamps = pack(self.entries[start:start + self.size])
        if isinstance(stamps, array):
            at = self.base + start * _STAMP_BYTES
            self.shared[at:at + len(stamps) * stamps.itemsize] = memoryview(stamps).cast("B")
            self._mark(number, DONE, newest_of(stamps))
        else:
            self._mark(number, WIDE, GONE)

    def _mark(self, number: int, state: int, newest: int) -> None:
        """The state last, alone: a child killed at any instant leaves a chunk undone or complete."""
        at = number * _SLOT.size
        _NUMBER.pack_into(self.shared, at + _NUMBER.size, newest)
        _NUMBER.pack_into(self.shared, at, state)

    def finish(self) -> int:
        """Every node's stamps in `stats` (the child's included, or taken here if it failed); the
        folders are closed. Returns the newest time among them."""
        try:
            if self.child is None:
                newest = GONE
                for node in self.nodes:
                    node.stats = pack(node.entries)
                    newest = max(newest, newest_of(node.stats))
                return newest
            return self._join()
        finally:
            self._drop()
            for node in self.nodes:
                node.close()

    def _join(self) -> int:
        self._work()
        try:
            os.waitpid(self.child, 0)
        except ChildProcessError:  # reaped by someone else: its chunks say what it did
            pass
        self.child = None
        newest, wide = GONE, set()
        for number in range(self.chunks):
            state, latest = _SLOT.unpack_from(self.shared, number * _SLOT.size)
            if state not in (DONE, WIDE):  # left undone by the child: taken here
                self._stamp_chunk(number)
                state, latest = _SLOT.unpack_from(self.shared, number * _SLOT.size)
            if state == WIDE:
                wide.add(number)
            newest = max(newest, latest)
        stamps = array("q")
        stamps.frombytes(self.shared[self.base:])
        start = 0
        for node in self.nodes:
            end = start + len(node.entries)
            chunks = range(start // self.size, (end - 1) // self.size + 1)
            if wide.intersection(chunks):  # a number past 64 bits: the folder's stamps as a list (`pack`)
                node.stats = pack(node.entries)
                newest = max(newest, newest_of(node.stats))
            else:
                node.stats = stamps[start * 4:end * 4]
            start = end
        return newest

    def _drop(self) -> None:
        if self.child is not None:  # an error in the parent: the child's work is not wanted
            try:
                os.waitpid(self.child, 0)
            except ChildProcessError:
                pass
            self.child = None
        if self.claims is not None:
            os.close(self.claims)
            self.claims = None
        if self.shared is not None:
            self.shared.close()
            self.shared = None
        self.entries = []
