"""YAML syntax errors in the clerk's words: what is wrong, where, and what to type instead.

libyaml (used when PyYAML was built with it) and PyYAML's own Python parser word their errors
differently; both are matched here. An error not foreseen still gets a Chinese message at its
position, with the parser's own words in brackets for whoever helps the clerk.
"""

from __future__ import annotations

import re

from docgen.records.loader import DEPTH_MESSAGE as DEPTH

TAB = "不能用制表符（Tab）缩进或分隔，请改用空格（编辑器中可设置“用空格代替 Tab”）"
INDENT = "缩进不一致：这一行与上面同一层的字段没有左端对齐（同一层的字段应从同一列开始，只用空格缩进）"
MAPPING_HERE = ("此处不能出现“键: 值”：这一行可能缩进多了（同一层的字段应左端对齐），或者值里含有“: ”"
                "（冒号加空格），这时请用引号把整个值括起来，如 名称: '甲: 乙'")
SEVERAL = "一个文件只能包含一条记录：这里的“---”开始了第二条记录（请删除“---”，或把后面的内容另存为一个文件）"
ANCHOR = "记录中不允许使用 YAML 锚点和别名（以“&”“*”开头），请直接写出内容；以“&”或“*”开头的值请用引号括起来"
TAG = "记录中不使用 YAML 标签（以“!”开头）；以“!”开头的值请用引号括起来"
DIRECTIVE = "以“%”开头的行是 YAML 指令，记录中不需要：请删除这一行；以“%”开头的值请用引号括起来"
FULL_WIDTH_INDENT = "行首有全角空格（U+3000）：缩进只能用半角空格，请把它换成两个半角空格"
ESCAPE_HINT = "双引号里的反斜杠“\\”用于转义，要写反斜杠本身请写成“\\\\”，或改用单引号把值括起来"


_FIELD_OR_ITEM = re.compile(r"(?:[A-Za-z_][\w-]*:(?: |$)|- )")  # "key: …", "key:" or "- …"
# "key: {…}" or "key: […]" followed by more text: the value was taken for a mapping or a list
_BRACKETED = re.compile(r"^\s*(?:- )?[^\s:#'\"][^:#]*:\s+([\[{])[^\n]*[\]}]$")
BRACKETED = "以“{}”开头的值会被当作{}：整个值请用引号括起来，如 {}: '{}'"
_WIDE_COLON_FIELD = re.compile(r"\s*(?:- )?[A-Za-z_][\w-]*\s*：")
FULL_WIDTH_COLON = "这一行的冒号是全角的“：”：字段名后应写半角冒号加一个空格“: ”，如 {}: {}"


# a field written with a full-width colon, as YAML reads a mapping whose lines all are: one text, the
# first line's field and value before the next field
_WIDE_FIELD_TEXT = re.compile(r"^\s*([A-Za-z_][\w-]*)\s*：\s*(.*?)(?=\s+[A-Za-z_][\w-]*\s*：|\s*$)")


def _dipped(rows: list[str], at: int) -> str:
    """When the line before row `at` (0-based) stands further left than the lines on either side of it —
    `entered:` typed at the margin inside a department's block — that line is the likelier slip: YAML
    read it as a field of an outer level and found fault only with the next one. Said as a hint, else ""."""
    def indent(row: str) -> int:
        return len(row) - len(row.lstrip(" "))

    def previous(i: int) -> int:
        i -= 1
        while i >= 0 and (not rows[i].strip() or rows[i].lstrip().startswith("#")):
            i -= 1
        return i

    if at >= len(rows):
        return ""
    before = previous(at)
    further = previous(before) if before >= 0 else -1
    if further < 0 or not indent(rows[before]) < min(indent(rows[at]), indent(rows[further])):
        return ""
    return f"；也可能是上一行（第 {before + 1} 行）缩进少了：它比上下两行都靠左"


def wide_colon_hint(value) -> str:
    """FULL_WIDTH_COLON for a text that is fields written with full-width colons, else ""."""
    found = _WIDE_FIELD_TEXT.match(value) if isinstance(value, str) else None
    return FULL_WIDTH_COLON.format(found.group(1), found.group(2) or "值") if found else ""


def not_a_mapping(value) -> str:
    """What a record file that YAML reads as a single value or a list is told."""
    hint = wide_colon_hint(value)
    return "记录应由“字段: 值”组成，而不是单个值或列表" + (f"：{hint}" if hint else "")


def _has(text: str, *parts: str) -> bool:
    return any(part in text for part in parts)


def _quotes(row: str, quote: str) -> list[int]:
    """Columns of the quotes that open or close a value in `row` ('' inside single quotes and \\" inside
    double quotes are the quote itself, not an end)."""
    found, i = [], 0
    while i < len(row):
        if quote == "'" and row.startswith("''", i):
            i += 2
            continue
        if quote == '"' and row[i] == "\\":
            i += 2
            continue
        if row[i] == quote:
            found.append(i)
        i += 1
    return found


def _opened_earlier(text: str, line: int, before: str) -> tuple[int, int, str] | None:
    """(line, column, which) of a quote opened on an earlier line and left open there, when the text
    before the error (`before`, on `line`) ends with the quote that closed it."""
    quote = before[-1:]
    if quote not in ("'", '"') or len(_quotes(before, quote)) % 2 == 0:
        return None  # the line's own quotes pair up: not a value closed here from above
    rows = text.split("\n")
    for n in range(line - 2, max(-1, line - 2 - 200), -1):
        found = _quotes(rows[n], quote)
        if len(found) % 2 == 1:
            return n + 1, found[-1] + 1, "双引号" if quote == '"' else "单引号"
    return None


def _wide_colon(rows: list[str], at: int, line: int) -> tuple[int, int, str] | None:
    """(line, column, message) when row `at` is a field written with a full-width colon and that colon is
    what YAML stumbled on (error at `line`), else None."""
    row = rows[at] if 0 <= at < len(rows) else ""
    if not (_WIDE_COLON_FIELD.match(row) and _mended_by_colon(rows, at, line)):
        return None
    key, value = (part.strip() for part in row.split("：", 1))
    return at + 1, row.index("：") + 1, FULL_WIDTH_COLON.format(key.lstrip("- "), value or "值")


def _mended_by_colon(rows: list[str], at: int, line: int) -> bool:
    """Whether the full-width colon on row `at` is what YAML stumbled on (error at `line`): with an ASCII
    colon and a space there, the text reads past it (no error, or the first one further down). "A类：未公示"
    in a list or "QQ：123" in a block of text is text, and stays unblamed."""
    import yaml

    mended = rows[:at] + [rows[at].replace("：", ": ", 1)] + rows[at + 1:]
    try:  # composed, not constructed: the syntax alone (a value such as 2023-09-31 is judged later)
        yaml.compose("\n".join(mended), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        return mark is not None and mark.line + 1 > line
    except (yaml.YAMLError, RecursionError, ValueError):
        return False
    return True


def explain(exc, text: str) -> tuple[int, int, str]:
    """(line, column, message) for a PyYAML exception raised while reading `text`."""
    import yaml

    if isinstance(exc, RecursionError):
        return 1, 1, DEPTH
    if isinstance(exc, yaml.reader.ReaderError):
        return _reader(exc, text)
    if not isinstance(exc, yaml.MarkedYAMLError):
        return 1, 1, f"YAML 格式有误（{exc}）：请检查缩进、冒号和引号"
    problem, context = (exc.problem or "").strip(), (exc.context or "").strip()
    pmark, cmark = exc.problem_mark, exc.context_mark
    mark = pmark or cmark
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    index = mark.index if mark else 0
    char = text[index] if 0 <= index < len(text) else ""

    bom = text.find("\ufeff", text.rfind("\n", 0, index) + 1, index + 1)
    if bom >= 0:  # a byte order mark pasted into the middle of the file: invisible, so say where
        from docgen.records.textcheck import line_column

        return *line_column(text, bom), "有不可见的字节顺序标记 U+FEFF（BOM），请删除这个位置的字符"

    before = text[text.rfind("\n", 0, index) + 1:index].rstrip(" ")  # the line up to the error
    opened = _opened_earlier(text, line, before) if _has(problem, "expected <block end>", "expected key") else None
    if opened is not None:  # `意见: '…` left open: the quote ran on to the next one, lines below
        at_line, at_column, which = opened
        return at_line, at_column, (f"引号没有闭合：这里开始的{which}在本行没有对应的结束{which}（请在本行补上），"
                                    f"它一直延续到第 {line} 行的{which}才结束")
    bracketed = _BRACKETED.match(before) if _has(problem, "expected <block end>", "expected key") else None
    if bracketed:  # 意见: {限期}整改
        rest = text[text.rfind("\n", 0, index) + 1:].split("\n", 1)[0]
        key, value = (part.strip() for part in rest.split(":", 1))
        bracket = bracketed.group(1)
        return line, column, BRACKETED.format(bracket, "字段表" if bracket == "{" else "列表", key.lstrip("- "),
                                              value.replace("'", "''"))
    if _has(problem, "expected <block end>", "expected key") and before[-1:] in ("'", '"') \
            and before.count(before[-1]) >= 2 and char not in "\n#":
        return line, column, "引号结束后又写了文字：整个值应在一对引号之内（如 意见: '无异议，多余的话'），或删除引号后的文字"
    starts = text.split("\n")[max(0, line - 2):line]  # the line of the error and the one before it
    for n, row in enumerate(starts):
        lead = row[:len(row) - len(row.lstrip(" \u3000"))]
        # a full-width space indenting a field or a list item (it looks like two spaces, it is a character;
        # opening a paragraph of a block of text, 　　 is the text's own)
        if "\u3000" in lead and _FIELD_OR_ITEM.match(row[len(lead):]):
            return line - len(starts) + n + 1, lead.index("\u3000") + 1, FULL_WIDTH_INDENT

    def opened_at() -> str:
        return f"（第 {cmark.line + 1} 行第 {cmark.column + 1} 列）" if cmark else ""

    if "quoted scalar" in context and _has(problem, "end of stream", "document indicator", "document separator"):
        if cmark:
            line, column = cmark.line + 1, cmark.column + 1
            quote = text[cmark.index] if cmark.index < len(text) else "'"
        else:
            quote = "'"
        which = "双引号" if quote == '"' else "单引号"
        return line, column, f"引号没有闭合：这里开始的{which}在文件结束前没有对应的结束{which}（请补上）"
    if problem.startswith("found unknown escape character"):
        if char != "\\" and index > 0 and text[index - 1] == "\\":
            index, column = index - 1, column - 1
        return line, column, f"双引号中的“{text[index:index + 2]}”不是有效的转义符：{ESCAPE_HINT}"
    if _has(problem, "hexdecimal number", "hexadecimal numbers"):
        start = text.rfind("\\", 0, index + 1)
        if start >= 0 and index - start < 10:
            column -= index - start
        return line, column, f"转义符“\\x”“\\u”“\\U”后面应是 2、4、8 位十六进制数字（0–9、A–F）；{ESCAPE_HINT}"
    if "invalid Unicode character escape" in problem:
        return line, column, "转义符表示的不是有效的字符（如 \\ud800 这样单独的代理码位），请删除它"
    if problem.startswith("mapping values are not allowed"):
        # the first field of a mapping written with a full-width colon ran on into the next line's "key:"
        rows = text.split("\n")
        for at in range(line - 2, max(-1, line - 4), -1):
            found = _wide_colon(rows, at, line)
            if found:
                return found
            if at < len(rows) and rows[at].strip() and not rows[at].lstrip().startswith("#"):
                break
        return line, column, MAPPING_HERE + _dipped(rows, line - 1)
    if "tab character" in problem or ("cannot start any token" in problem and char == "\t"):
        return line, column, TAB
    if "cannot start any token" in problem:
        return line, column, f"值不能以“{char}”开头：请用引号把整个值括起来"
    if _has(context, "single document") or "another document" in problem:
        return line, column, SEVERAL
    if _has(problem, "<document start>", "'<document start>'"):
        return line, column, ("记录在这里之前已经结束，不能再有内容（可能是多余的“...”，或以“%”开头的行）："
                              "请删除这一行，或用引号把值括起来")
    if _has(problem + context, "nesting depth", "nesting level", "flow level"):
        return line, column, DEPTH
    if _has(problem, "expected key", "<block end>"):
        if char == "-":
            return line, column, "此处不能出现列表项“- ”：列表应写在某个字段之下并缩进，各项左端对齐"
        return line, column, INDENT + _dipped(text.split("\n"), line - 1)
    if _has(problem, "'-' indicator") or "block collection" in context:
        return line, column, "列表缩进不一致：同一列表的各项应以“- ”开头并左端对齐"
    if "block sequence entries are not allowed" in problem:
        return line, column, "此处不能出现列表项“- ”：请检查缩进；以“- ”开头的值请用引号括起来"
    if "mapping keys are not allowed" in problem:
        return line, column, "此处不能出现“? ”：以“?”开头的值请用引号括起来"
    if "expected ':'" in problem or "simple key" in context:
        if cmark and "simple key" in context:  # the line that lacks its colon, not where that was noticed
            line, column = cmark.line + 1, cmark.column + 1
        found = _wide_colon(text.split("\n"), line - 1, line)  # a field, then a full-width colon
        if found:
            return found
        return line, column, ("缺少冒号“:”：每一行应写成“字段: 值”（冒号后有一个空格）；"
                              "值太长换了行时，请用引号把整个值括起来")
    if _has(problem, "',' or ']'"):
        return line, column, f"方括号“[”{opened_at()}没有闭合，或列表项之间缺少逗号；值里含有“:”“[”“]”时请用引号括起来"
    if _has(problem, "',' or '}'"):
        return line, column, f"花括号“{{”{opened_at()}没有闭合，或字段之间缺少逗号；值里含有“:”“{{”“}}”时请用引号括起来"
    if _has(problem, "undefined alias", "duplicate anchor") or _has(context, "anchor", "alias"):
        return line, column, ANCHOR
    if "tag" in context or "tag" in problem:
        return line, column, TAG
    if "directive" in context or _has(problem, "directive", "incompatible YAML document"):
        return line, column, DIRECTIVE
    if "block scalar" in context:
        return line, column, ("多行文字的“|”或“>”之后只能直接换行（可加“-”），文字从下一行开始并缩进；"
                              "以“|”或“>”开头的值请用引号括起来")
    if "end of stream" in problem:
        return line, column, "文件意外结束：可能有引号或括号没有闭合"
    if _has(problem, "node content"):
        return line, column, "这里缺少内容：可能有多余的逗号、冒号或“- ”，或者括号不配对"
    if "document indicator" in problem or "document separator" in problem:
        return line, column, "“---”和“...”单独成行时表示记录的开始和结束，不能出现在这里；如是值的一部分请用引号括起来"
    if _has(problem, "comment or line break", "comment or a line break"):
        return line, column, "这里应当换行：值后面多了内容（如引号结束后又写了文字），请检查引号"
    if "unexpected ':'" in problem:
        return line, column, "多余的冒号“:”：值里含有冒号时请用引号把整个值括起来"
    return line, column, f"YAML 格式有误（{problem or context}）：请检查这一行的缩进、冒号和引号"


def _reader(exc, text: str) -> tuple[int, int, str]:
    """A character the YAML reader refuses; libyaml counts its position in UTF-8 bytes."""
    from docgen.records import textcheck

    position = exc.position
    if exc.encoding != "unicode":  # libyaml: a byte offset into the UTF-8 text
        position = len(text.encode("utf-8")[:position].decode("utf-8", "ignore"))
    line, column = textcheck.line_column(text, min(position, len(text)))
    char = chr(exc.character) if isinstance(exc.character, int) else text[position:position + 1]
    if char and (textcheck.CONTROL_RE.match(char) or char == "\r"):
        return line, column, textcheck.control_message(char)
    return line, column, f"文件中有 YAML 不接受的字符 {textcheck.describe(char) if char else ''}，请删除"
