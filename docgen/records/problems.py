"""One shape for everything wrong with the records, from YAML syntax to cross-record rules."""

from __future__ import annotations

from dataclasses import dataclass

from docgen.records.textcheck import escaped, in_chinese

ERROR = "error"
WARNING = "warning"
# a step recorded as done after its deadline: an error validate reports (and exits 1 on), but a fact of
# the record's history rather than a mistake in it, so the record's documents are still made; else the
# only way to have them would be to write a false date
LATE = "late"


@dataclass(frozen=True, order=True)
class Problem:
    """A problem a clerk can act on: where it is and what was expected."""

    path: str
    line: int
    column: int
    message: str
    severity: str = ERROR

    def __str__(self) -> str:
        prefix = "警告：" if self.severity == WARNING else ""
        # a file or folder name may hold an escape sequence or a line break (from an archive): shown, not
        # obeyed — in the path, and where a message names another file (a duplicate id, a credit code)
        return f"{escaped(self.path)}:{self.line}:{self.column}: {prefix}{escaped(self.message)}"

    @property
    def is_error(self) -> bool:
        return self.severity in (ERROR, LATE)

    @property
    def holds_documents(self) -> bool:
        """Whether the record's documents (and its plan's tables) wait until it is mended: every
        error but a step done late (`LATE`)."""
        return self.severity == ERROR


class DocgenError(Exception):
    """An error whose message (in Chinese) is shown to the clerk as it is, without a traceback."""


EXIT_MACHINE = 4  # the machine refused (disk full, no permission, read-only): not the records, not docgen


def os_error_text(exc: OSError, with_path: bool = True) -> tuple[str, bool]:
    """A failed file operation in Chinese, and whether it is the machine's fault (exit code 4)
    rather than a path given wrongly (a folder that is a file, a name too long: exit code 2)."""
    import errno

    table = (
        ("ENOSPC", ("磁盘空间不足", True)), ("EDQUOT", ("超出磁盘配额", True)),
        ("EFBIG", ("文件超出文件系统允许的大小", True)), ("EACCES", ("没有权限", True)),
        ("EPERM", ("操作不被允许（没有权限）", True)), ("EROFS", ("文件系统是只读的", True)),
        ("EIO", ("读写出错（磁盘或网络存储故障）", True)), ("EMFILE", ("同时打开的文件过多", True)),
        ("ENFILE", ("同时打开的文件过多", True)), ("ENOMEM", ("内存不足", True)),
        ("ENOTDIR", ("路径中有一级不是文件夹", False)), ("EISDIR", ("这是一个文件夹，不是文件", False)),
        ("ENAMETOOLONG", ("文件名或路径太长", False)), ("ENOENT", ("找不到文件或文件夹", False)),
        ("ELOOP", ("路径中的链接形成循环", False)),
        ("EEXIST", ("已有同名的文件或文件夹（需要文件夹的地方是一个文件，或反之）", False)),
        ("EBUSY", ("文件或文件夹正被其他程序使用", True)), ("ETXTBSY", ("文件正被其他程序使用", True)),
        ("ENOTEMPTY", ("文件夹不是空的", False)), ("EXDEV", ("不能跨磁盘移动文件", True)),
        ("ESTALE", ("网络存储上的文件已失效（请重新连接共享文件夹）", True)),
        ("ECONNRESET", ("与网络存储的连接中断", True)), ("ETIMEDOUT", ("访问网络存储超时", True)))
    reasons = {getattr(errno, name): found for name, found in table if hasattr(errno, name)}
    if getattr(exc, "winerror", None) in (32, 33):  # Windows: the file is open in another program (Word, WPS)
        return (f"{exc.filename}：" if with_path and exc.filename else "") + "文件正被其他程序使用（如在 Word、WPS 中打开）", True
    # an error the table does not know: said in Chinese, the system's own words kept after it
    own = isinstance(exc.strerror, str) and in_chinese(exc.strerror)  # docgen's own words
    reason, machine = reasons.get(exc.errno, (exc.strerror if own else f"读写文件出错（系统信息：{exc.strerror or exc}）",
                                              False))
    if exc.errno in {getattr(errno, n, None) for n in ("ENOSPC", "EDQUOT", "EFBIG", "EACCES", "EPERM", "EROFS")}:
        reason += "（请检查磁盘空间和文件权限）"
    where = f"{exc.filename}：" if with_path and exc.filename else ""
    return where + reason, machine
