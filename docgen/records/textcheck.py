"""Characters a record may not hold, and where they stand in its file.

Control characters cannot be written into a Word or Excel file (XML 1.0 refuses most of them,
Word refuses the others), and are invisible in an editor; bidirectional controls make a name
display differently from what it is, in documents and in file names. Both are refused at
validation, at the character (see `loader.Document.odd`), rather than dropped at build time:
a document must carry a record's text exactly as written.

Refused everywhere: C0 controls except tab and line feed (carriage return only as part of a
CRLF line ending in the file), DEL, C1 controls, the line and paragraph separators U+2028 and
U+2029 (YAML counts them as line breaks, editors do not, so every line number after them would
be wrong), lone surrogates and U+FFFE / U+FFFF (not characters at all).
Refused in names (`NAME_KEYS`): bidirectional controls U+202A–U+202E, U+2066–U+2069, U+200E,
U+200F and U+061C.
"""

from __future__ import annotations

import re
import unicodedata

CONTROL = "\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff"
BIDI = "\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c"

CONTROL_RE = re.compile(f"[{CONTROL}]")

# characters that are invisible or change how text displays: controls (Cc), line and paragraph
# separators, surrogates, and the format characters (Cf: bidi controls, zero-width ones). A list,
# not Unicode categories: the same paths are accepted whatever Python's Unicode version.
INVISIBLE = re.compile('[\x00-\x1f\x7f-\x9f\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2'
                        '\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ud800-\udfff\ufeff\ufff9-\ufffb'
                        '\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a'
                        '\U000e0001\U000e0020-\U000e007f]')


def in_chinese(text: str) -> bool:
    """Whether `text` has Chinese characters: docgen's own words, not a library's English."""
    return any("\u4e00" <= c <= "\u9fff" for c in text)


def escaped(text: str) -> str:
    """`text` as it may be printed to a terminal: invisible and format characters (an escape sequence
    that clears the screen, a line break in a file name, a bidi override) as \\u escapes."""
    if text.isprintable():  # the common case, quickly
        return text
    return INVISIBLE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)
# in the text of a file a CR is fine before a LF (a Windows line ending)
# and a byte order mark is only at the start of a file (the loader strips it there): one further in
# comes from pasting files together, and would silently become part of a field name or value
LITERAL_RE = re.compile("\r(?!\n)|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]")
NOTABLE_RE = re.compile(f"[{CONTROL}{BIDI}]")  # what the loader notes the position of

# fields that name a person, an organisation or a document: shown as names, used in file names
NAME_KEYS = frozenset({
    "name", "names", "title", "legal_rep", "signer", "caller", "reached", "responsible", "driver",
    "issuer", "header", "doc_number", "leader", "recipients", "owner",
})

_CONTROL_NAMES = {
    0x00: "空字符 NUL", 0x07: "响铃 BEL", 0x08: "退格 BS", 0x0B: "垂直制表符 VT", 0x0C: "换页符 FF",
    0x0D: "单独的回车符 CR", 0x1B: "转义符 ESC", 0x7F: "删除符 DEL", 0x85: "下一行 NEL",
    0x2028: "行分隔符 LINE SEPARATOR", 0x2029: "段分隔符 PARAGRAPH SEPARATOR",
    0xFFFE: "非字符", 0xFFFF: "非字符", 0xFEFF: "字节顺序标记 BOM",
}


def describe(char: str) -> str:
    """“U+0007（响铃 BEL）”: a character a clerk cannot see, named so that it can be found."""
    code = ord(char)
    name = _CONTROL_NAMES.get(code)
    if name is None:
        if 0xD800 <= code <= 0xDFFF:
            name = "不成对的代理码位"
        elif code < 0x20 or 0x7F <= code <= 0x9F:
            name = "控制字符"
        else:
            name = unicodedata.name(char, "")
    return f"U+{code:04X}（{name}）" if name else f"U+{code:04X}"


def control_message(char: str) -> str:
    return (f"有不可见的控制字符 {describe(char)}，它会损坏生成的文书，请删除"
            "（在编辑器中删除这个位置的字符后重新输入）")


def bidi_message(char: str, title: str) -> str:
    return (f"「{title}」中有文字方向控制字符 {describe(char)}：它让名称显示得与实际内容不同，"
            "名称中不能使用，请删除")


CR_LINES = ("文件用单独的回车符（CR，旧式 Mac 格式）换行，docgen 只接受 LF 或 Windows 的 CRLF 换行：请在编辑器中"
            "把换行符改为 LF 或 CRLF 后保存")


def literal_problems(text: str, limit: int = 20) -> list[tuple[int, int, str]]:
    """(line, column, message) of every control character written as such in a file's text; a file
    whose every line ends with a lone CR is said once, at the first."""
    found = []
    if "\n" not in text and "\r" in text:
        lone = text.index("\r")
        return [(*line_column(text, lone), CR_LINES)]
    for match in LITERAL_RE.finditer(text):
        index = match.start()
        found.append((*line_column(text, index), control_message(match.group())))
        if len(found) >= limit:
            break
    return found


def line_column(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of `text[index]`, counting lines by line feeds as editors do."""
    return text.count("\n", 0, index) + 1, index - text.rfind("\n", 0, index)


def is_name(path: tuple) -> bool:
    """Whether the field at `path` holds a name (the nearest key, list indexes skipped)."""
    keys = [k for k in path if isinstance(k, str)]
    return bool(keys) and keys[-1] in NAME_KEYS


def check(record, title_at=lambda path: None) -> list:
    """Problems of the characters the loader noted in `record` (control everywhere, bidi in names);
    `title_at(path)` names a field as the schema does."""
    odd = getattr(record.doc, "odd", None)
    if not odd:
        return []
    from docgen.records.problems import Problem

    problems = []
    for (path, _key), places in odd.items():
        for char, line, column in places:
            if CONTROL_RE.match(char):
                problems.append(Problem(record.path, line, column, control_message(char)))
            elif is_name(path):
                title = title_at(path) or next((k for k in reversed(path) if isinstance(k, str)), "")
                problems.append(Problem(record.path, line, column, bidi_message(char, title)))
    return problems
