"""Jinja environments for templates, sandboxed, whose compiled code is kept between runs.

Templates come with the archive (`templates/`), and an archive may come from anybody: every
template runs in Jinja's sandbox (`ImmutableSandboxedEnvironment`), which refuses attributes
starting with `_`, unsafe calls and changes to lists and dicts, so that a template can read
the values it is given and nothing else. What it refuses is reported as an error naming the
template (`failure`).

Templates reach Jinja through a loader (not `from_string`), so that Jinja's own bytecode
cache — in the user cache folder, see `docgen.usercache` — spares lexing, parsing and
compiling them again in the next run. Jinja's cache knows a template by its name and
source only, so the name carries what else shapes the compiled code: the environment's
class (sandboxed code calls through the sandbox), its options (`kind`) and docgen's own source.
"""

from __future__ import annotations

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from docgen.records.problems import DocgenError

_SOURCES: dict[str, str] = {}  # Jinja source of every template handed out, by name

# what a template's own mistakes raise while rendering (a wrong type, a division by zero, a
# recursion without end, a filter given the wrong thing: `plan.title|xmlattr`, `truncate(-5)`, a
# huge repetition), said as the template's fault, never as docgen's
TEMPLATE_FAULTS = (jinja2.TemplateError, TypeError, ValueError, ArithmeticError, LookupError, RecursionError,
                   AttributeError, AssertionError, MemoryError)


class _QuietCache(jinja2.FileSystemBytecodeCache):
    """Jinja's file cache, except that a cache that cannot be read or written only costs time."""

    def load_bytecode(self, bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # a damaged entry (pickle and marshal raise several kinds): compile again
            bucket.reset()

    def dump_bytecode(self, bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:
            pass


class _Sandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, its verdict on an attribute kept per (type, attribute name).

    The sandbox asks `is_safe_attribute` at every attribute a template reads (tens of thousands in
    a build); its rules look only at the name and at the type of the object (never at the value),
    so the verdict for one object of a type is the verdict for all of them."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._verdicts: dict[tuple[type, str], bool] = {}

    def is_safe_attribute(self, obj, attr: str, value) -> bool:
        key = (type(obj), attr)
        verdict = self._verdicts.get(key)
        if verdict is None:
            verdict = self._verdicts[key] = super().is_safe_attribute(obj, attr, value)
        return verdict


def environment(**options) -> jinja2.Environment:
    """A sandboxed environment (the only kind docgen compiles templates in)."""
    from docgen import usercache

    folder = usercache.folder()
    return _Sandbox(
        loader=jinja2.FunctionLoader(lambda name: (_SOURCES[name], None, lambda: True) if name in _SOURCES else None),
        bytecode_cache=_QuietCache(folder) if folder else None, **options)


def template(env: jinja2.Environment, kind: str, key: str, source: str) -> jinja2.Template:
    """The compiled template for `source` (raises jinja2.TemplateSyntaxError)."""
    import hashlib

    from docgen import usercache

    if not getattr(env, "sandboxed", False):
        raise TypeError("templates are compiled in a sandboxed environment only")
    environment_kind = f"{type(env).__module__}.{type(env).__qualname__} {kind}"
    name = f"{usercache.key(environment_kind)}/{key}/{hashlib.sha256(source.encode('utf-8')).hexdigest()[:16]}"
    _SOURCES[name] = source
    try:
        return env.get_template(name)
    except jinja2.TemplateSyntaxError:
        raise
    except (RecursionError, SyntaxError, MemoryError) as exc:  # Python's own compile of what Jinja made
        raise jinja2.TemplateSyntaxError("表达式或 {% if %}、{% for %} 等标签嵌套过深", 1) from exc
    except (ValueError, ArithmeticError, TypeError) as exc:  # a constant Jinja works out while compiling
        raise jinja2.TemplateSyntaxError(f"其中有无法计算或结果过大的表达式（如 10**5000）：{type(exc).__name__}", 1) \
            from exc


def expressions(env: jinja2.Environment, kind: str, key: str, sources: tuple[str, ...]):
    """A function of a context returning the values of several expressions at once (a table row
    costs one evaluation), compiled like a template so that the bytecode cache serves it too."""
    compiled = template(env, kind, key, "{% set result = (" + ", ".join(f"({e})" for e in sources) + ",) %}")

    def evaluate(context: dict) -> tuple:
        frame = compiled.new_context(context)
        for _ in compiled.root_render_func(frame):
            pass
        return frame.vars["result"]

    return evaluate


def failure(name: str, exc: BaseException) -> DocgenError:
    """The clerk's message for a template that failed while rendering."""
    if isinstance(exc, SecurityError):
        import re

        named = re.search(r"attribute '([^']*)'", str(exc))
        what = f"“{named.group(1)}”" if named else ""
        return DocgenError(f"模板 {name} 试图使用不允许的功能{what}（访问内部属性、调用函数或修改数据），已拒绝执行。"
                           "模板中只能引用记录的字段；如果模板来自他人或被改动过，请换回 docgen 自带的模板，"
                           "或删除其中这段 {{ }} 内容")
    if isinstance(exc, jinja2.UndefinedError):
        empty = (exc.message or "").startswith("'None' has no attribute")
        return DocgenError(f"模板 {name} 引用了{'这份记录没有填写的' if empty else '不存在的'}字段："
                           f"{undefined_text(exc.message or '')}")
    if isinstance(exc, jinja2.TemplateNotFound):
        return DocgenError(f"模板 {name} 渲染出错：其中引用了其他模板（include、import 或 extends）“{exc.name}”；"
                           "docgen 的模板不能引用其他文件")
    if isinstance(exc, RecursionError):
        return DocgenError(f"模板 {name} 渲染出错：宏或循环无休止地调用自身")
    if isinstance(exc, OverflowError):  # the sandbox's range() limit ("Range too big …"), a number too large
        return DocgenError(f"模板 {name} 渲染出错：其中的 range() 或数值过大（模板中的循环最多 100,000 次）")
    if isinstance(exc, MemoryError):
        return DocgenError(f"模板 {name} 渲染出错：其中的表达式要生成的内容过大，内存不足")
    if isinstance(exc, (AttributeError, AssertionError)):
        return DocgenError(f"模板 {name} 渲染出错：某个过滤器或表达式用在了不合适的值上"
                           f"（{type(exc).__name__}：{exc}）；请检查模板中最近改动的 {{{{ }}}} 内容")
    return DocgenError(f"模板 {name} 渲染出错：{exc}")


# what a template's values are, in the clerk's words (docgen.records.model's views, Jinja's own)
VALUE_NAMES = {"Plan": "抽查计划（plan）", "Inspection": "抽查记录（i）", "Entity": "检查对象", "Department": "部门",
               "Person": "人员", "Vehicle": "车辆", "Part": "部门的检查结果", "Item": "检查事项", "Dates": "日期",
               "PhoneNotice": "电话告知", "FollowUp": "后续处置", "Group": "检查组", "Assistant": "协助人员",
               "ListItem": "清单中的事项", "Header": "版头", "Colophon": "版记", "Section": "章节", "Subsection": "小节",
               "Choice": "选项", "dict": "这组数据", "str": "文字", "int": "数字", "list": "列表", "tuple": "列表",
               "NoneType": "空值", "Undefined": "不存在的值"}


def undefined_text(message: str) -> str:
    """Jinja's English for a name or field that does not exist, in Chinese, naming the field to look
    for in the template: 'docgen.records.model.Plan object' has no attribute 'task_sourc'."""
    import re

    found = re.fullmatch(r"'None' has no attribute '(.*)'", message)
    if found:  # the field before it is empty in this record
        return (f"“{found.group(1)}”前面的那一项在这份记录中是空的（请在模板中查找“{found.group(1)}”，"
                "用 {% if … %} 包住，记录没有填写时不印）")
    found = re.fullmatch(r"'(?:[\w.]*\.)?(\w+) object' has no attribute '(.*)'", message)
    if found:
        owner = VALUE_NAMES.get(found.group(1), found.group(1))
        return f"{owner}没有“{found.group(2)}”这一项（请在模板中查找“{found.group(2)}”，改成正确的字段名）"
    found = re.fullmatch(r"'?(?:[\w.]*\.)?(\w+) object'? has no element (.*)", message)
    if found:
        owner = VALUE_NAMES.get(found.group(1), found.group(1))
        return f"{owner}没有第 {found.group(2)} 项（请在模板中查找这个下标，记录中没有那么多项时不能用）"
    found = re.fullmatch(r"'(.*)' is undefined", message)
    if found:
        return f"没有名为“{found.group(1)}”的值（请在模板中查找“{found.group(1)}”，改成正确的名称）"
    return message


def syntax_error(name: str, exc: jinja2.TemplateSyntaxError) -> DocgenError:
    message = exc.message or ""
    from docgen.records.textcheck import in_chinese

    if in_chinese(message):  # docgen's own words (`template`)
        return DocgenError(f"模板 {name} 有语法错误：{message}")
    return DocgenError(f"模板 {name} 有语法错误：某段 {{{{ }}}} 或 {{% %}} 内容写法不对（括号、引号不配对，或多了、少了符号），"
                       f"请检查模板中最近改动的地方（模板引擎信息：{message}）")


def read_template(path: str, name: str, kind: str, main: str) -> tuple[bytes, list[tuple[str, bytes]]]:
    """A template file's bytes and its package entries; a file that is no package, or not of its
    kind (no `main` part: an Excel file named .docx), is named for the clerk before any document
    is made from it (`kind`: what it should have been, e.g. "Word 文件（.docx）")."""
    import zipfile

    from docgen.documents.package import read_package

    with open(path, "rb") as handle:
        blob = handle.read()
    try:
        entries = read_package(blob)
    except (zipfile.BadZipFile, ValueError, NotImplementedError):
        entries = None
    if entries is None or main not in {part for part, _data in entries}:
        raise DocgenError(f"模板 {name} 无法读取：不是有效的 {kind}，可能已损坏，或只是改了扩展名")
    _check_xml(name, entries)
    return blob, entries


def _check_xml(name: str, entries: list[tuple[str, bytes]]) -> None:
    """Every XML part a template's documents carry as they are (styles, relationships, content types)
    parses: a damaged one (or one with an entity bomb, which lxml stops) would make documents Word
    cannot open, and fail the print sets that read it. The parts with Jinja tags are checked when filled."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    for part, data in entries:
        if part.endswith((".xml", ".rels")) and b"{{" not in data and b"{%" not in data:
            try:
                etree.fromstring(data, parser)
            except etree.XMLSyntaxError as exc:
                raise DocgenError(f"模板 {name} 无法读取：其中的 {part} 不是有效的 XML，模板可能已损坏；请换回 docgen "
                                  f"自带的模板，或用 Word/WPS 重新保存（解析器信息：{exc}）") from None


def constant_parts(entries: list[tuple[str, bytes]], filled) -> dict:
    """The parts every document of a template has as they are (not `filled` in, not the properties):
    zipped once, joined into each document."""
    from docgen.documents.package import CORE_PATH, Stored

    return {part: Stored(part, data) for part, data in entries
            if part not in filled and part != CORE_PATH and part.isascii()}
