"""Check each record against the JSON Schema of its kind, reporting in the clerk's words.

Schemas are read from the archive (see `Archive.schemas_dir`). Errors come back as
`Problem`s positioned on the offending value (or key), naming the field by its
schema `title` and saying what was expected.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from typing import Any


from docgen.records.archive import Record
from docgen.cache import read_json, read_regular, write_json
from docgen.records.tree import leads_outside
from docgen.records.index import parse_date
from docgen.records.problems import DocgenError, Problem

BASE = "file:///docgen-schemas/"
# What to write instead, for the patterns of docgen's own schemas. Kept here, not in the schemas:
# JSON Schema validators in strict mode (ajv) refuse unknown keywords such as "x-hint". A pattern
# an office changed in its own schemas has no hint here, and its description is shown instead.
ID_PATTERN = "^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"  # a record id, as common.schema.json #/$defs/id has it
PATTERN_HINTS = {
    ID_PATTERN: "只能包含字母、数字、“-”和“_”，并以字母或数字开头，如 org-001",
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}$": "应写成 YYYY-MM-DD，如 2023-10-30",
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}( [0-9]{1,2}:[0-9]{2})?$": "应写成 YYYY-MM-DD HH:MM，如 2023-10-31 09:30",
    "^[0-9+（(][0-9 ()（）+-]{2,29}(转[0-9]{1,6})?$": "应为电话号码，如 0315-7665600 或 13800000000",
    "^.+〔[0-9]{4}〕[0-9]+号$": "应写成“机关代字〔年份〕序号号”，年份用六角括号〔〕，如 迁双随机办〔2023〕30号",
    "^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$": "应为电子邮箱地址，如 qasssj@126.com",
    "^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$": "应为 18 位，由数字和大写字母组成（不含 I、O、Z、S、V）",
}
_TYPE_NAMES = {
    "string": "文本", "integer": "整数", "number": "数字", "boolean": "是或否（true / false）",
    "array": "列表（每项以“- ”开头）", "object": "若干“字段: 值”", "null": "空",
}


class _Invalid(Exception):
    """What the generated validators raise instead of fastjsonschema's own exception, so that a
    validator from the user cache runs without importing fastjsonschema (its generator and
    URL resolver cost more than checking the edited record does)."""

    def __init__(self, message: str = "", **details):
        super().__init__(message)


_IMPORT_LINE = "from fastjsonschema import JsonSchemaValueException, JsonSchemaValuesException\n"


def _fastjsonschema_release() -> bytes:
    """fastjsonschema's version file, found where Python would import it from, without importing it."""
    import sys

    for base in sys.path:
        candidate = os.path.join(base or os.curdir, "fastjsonschema", "version.py")
        try:
            with open(candidate, "rb") as handle:
                return handle.read()
        except OSError:
            continue
    return b""


def _read_schema_files(schemas_dir: str, names: list[str] | None = None) -> dict[str, dict]:
    """Every `<kind>.schema.json` of a folder (or those `names`), by kind, each with its `$id` set."""
    raw: dict[str, dict] = {}
    if names is None:
        try:
            names = sorted(n for n in os.listdir(schemas_dir) if n.endswith(".schema.json"))
        except OSError as exc:
            raise DocgenError(f"无法读取模式目录 {schemas_dir}：{exc.strerror}") from None
    for name in names:
        if leads_outside(os.path.join(schemas_dir, name), os.path.dirname(os.path.abspath(schemas_dir))):
            raise DocgenError(f"模式文件 {os.path.join(schemas_dir, name)} 是指向档案之外的符号链接（或在这样的文件夹中），"
                              f"docgen 不读取档案之外的文件；请把模式文件复制到档案中")
        try:
            schema = json.loads(read_regular(os.path.join(schemas_dir, name)).decode("utf-8"))
        except (OSError, ValueError) as exc:
            reason = (exc.strerror or exc) if isinstance(exc, OSError) else exc
            raise DocgenError(f"模式文件 {os.path.join(schemas_dir, name)} 无法读取：{reason}") from None
        if not isinstance(schema, dict):
            raise DocgenError(f"模式文件 {os.path.join(schemas_dir, name)} 应为一个 JSON 对象")
        raw[name[: -len(".schema.json")]] = dict(schema, **{"$id": BASE + name})
    return raw


def _patterns(schema):
    """Every `pattern` keyword's value anywhere in a schema."""
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key == "pattern" and not isinstance(value, (dict, list)):
                yield value
            else:
                yield from _patterns(value)
    elif isinstance(schema, list):
        for item in schema:
            yield from _patterns(item)


class _Checker:
    """fastjsonschema for the verdict; jsonschema (made only when needed) for the full list of errors."""

    FORMATS = {"date": lambda v: parse_date(v) is not None}

    def __init__(self, schema: dict, digest: str, generate: bool = True):
        self.schema = schema
        self._full = None
        # Code is generated only from docgen's own schemas: an archive's changed schema is interpreted
        # by jsonschema (slower, but no Python source is ever made from another office's text).
        self._fast = self._validator(schema, digest) if generate else None

    @classmethod
    def _validator(cls, schema: dict, digest: str):
        """fastjsonschema's validator for `schema`; its code comes from the user cache when it can."""
        import functools

        from docgen import usercache

        name = usercache.key("fastjsonschema", _fastjsonschema_release(), digest)
        code = usercache.load_code(name)
        if code is None:
            import fastjsonschema

            try:
                source = fastjsonschema.compile_to_code(schema, formats=cls.FORMATS)
            except Exception:  # a schema fastjsonschema cannot compile: jsonschema alone still works
                return None
            entry = re.search(r"^def (\w+)\(", source, re.M)
            if entry is None:
                return None
            source = source.replace(_IMPORT_LINE, "", 1)
            code = compile(source + f"\nVALIDATE = {entry.group(1)}\n", "<docgen schema>", "exec")
            usercache.store_code(name, code)
        namespace: dict = {"JsonSchemaValueException": _Invalid, "JsonSchemaValuesException": _Invalid}
        try:
            exec(code, namespace)  # noqa: S102 - generated from docgen's own schema only (see __init__)
            return functools.partial(namespace["VALIDATE"], custom_formats=cls.FORMATS)
        except Exception:
            return None

    def is_valid(self, data) -> bool | None:
        """True or False, or None when only jsonschema can tell."""
        if self._fast is None:
            return None
        try:
            self._fast(data)
        except _Invalid:
            return False
        except Exception as exc:  # fastjsonschema's own, should its generated code change
            if type(exc).__module__.startswith("fastjsonschema"):
                return False
            raise
        return True

    def iter_errors(self, data):
        if self._full is None:
            from jsonschema import Draft202012Validator, FormatChecker

            formats = FormatChecker()
            for name, test in self.FORMATS.items():  # the fast validator's formats, so verdicts agree
                formats.checks(name)(test)
            from referencing import Registry

            # an empty registry: nothing a schema names is ever fetched (jsonschema's default opens URLs)
            self._full = Draft202012Validator(self.schema, format_checker=formats, registry=Registry())
        return self._full.iter_errors(data)


class _Validators(dict):
    """Validators by kind, each compiled the first time a record of that kind needs checking."""

    def __init__(self, schemas: "Schemas"):
        super().__init__()
        self.schemas = schemas

    def __missing__(self, kind: str):
        if kind not in self.schemas.raw or kind == "common":
            raise KeyError(kind)
        validator = self[kind] = self.schemas.compile(kind)
        return validator

    def get(self, kind, default=None):
        try:
            return self[kind]
        except KeyError:
            return default


def _shown(value: Any) -> str:
    """A value quoted in a message: characters that would act on the clerk's terminal, or hide,
    are written as their code (a record may hold an escape sequence; it is reported, not run)."""
    from docgen.records.textcheck import BIDI, CONTROL

    return re.sub(f"[{CONTROL}{BIDI}]", lambda m: f"<U+{ord(m.group()):04X}>", str(value))


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "是否值"
    if isinstance(value, int):
        return "整数"
    if isinstance(value, float):
        return "数字"
    if isinstance(value, str):
        return "文本"
    if isinstance(value, list):
        return "列表"
    if isinstance(value, dict):
        return "字段表"
    return "空值"


class Schemas:
    """The schemas of one archive, one validator per record kind, each made on first use.

    Every record is checked by a validator generated with fastjsonschema (fast, stops at the first
    error); only a record that fails is checked again by jsonschema, which lists all of its errors
    for the messages below. References are resolved once with `referencing` and the inlined
    schemas kept in the archive's `.docgen/` cache, so a build whose records mostly come from the
    cache imports neither jsonschema nor referencing.
    """

    def __init__(self, schemas_dir: str, cache_dir: str | None = None):
        self.dir = schemas_dir
        self.cache_dir = cache_dir
        self.raw: dict[str, dict] = _read_schema_files(schemas_dir)
        # a kind newer than the archive's own copy of the schemas (made by an older `docgen init`)
        # is checked by docgen's shipped schema: the office's copies of the others still apply
        from docgen.records.tree import packaged_dir

        try:
            self._shipped: str | None = packaged_dir("schemas")
        except DocgenError:
            self._shipped = None
        shipped = self._shipped
        if shipped is not None and os.path.abspath(shipped) != os.path.abspath(schemas_dir):
            missing = [n for n in sorted(os.listdir(shipped)) if n.endswith(".schema.json")
                       and n[: -len(".schema.json")] not in self.raw and n != "common.schema.json"]
            if missing:
                self.raw.update(_read_schema_files(shipped, missing))
                self.raw = dict(sorted(self.raw.items()))
        self._inlined: dict[str, dict] | None = None
        self._packaged: dict[str, dict] | None = None
        self._patterns_checked = False
        self._digest: str | None = None
        self._source: bytes | None = None
        self.validators = _Validators(self)

    @property
    def inlined(self) -> dict[str, dict]:
        """Each kind's schema with every `$ref` replaced by what it names."""
        if self._inlined is None:
            self._inlined = self._load_inlined()
        return self._inlined

    def _load_inlined(self) -> dict[str, dict]:
        digest = self.digest()
        path = os.path.join(self.cache_dir, "schemas-inlined.json") if self.cache_dir else None
        stored = read_json(path)
        if isinstance(stored, dict) and stored.get("digest") == digest and isinstance(stored.get("schemas"), dict):
            return stored["schemas"]
        from referencing import Registry, Resource

        registry = Registry().with_resources(
            [(schema["$id"], Resource.from_contents(schema)) for schema in self.raw.values()])
        inlined = {kind: self.inline(schema, registry.resolver(schema["$id"]))
                   for kind, schema in self.raw.items() if kind != "common"}
        write_json(path, {"digest": digest, "schemas": inlined})
        return inlined

    def compile(self, kind: str) -> "_Checker":
        self._check_patterns()
        return _Checker(self.inlined[kind], f"{self.digest()}/{kind}", generate=self._is_docgens_own(kind))

    def _is_docgens_own(self, kind: str) -> bool:
        """Whether `kind`'s schema and the common one are byte for byte docgen's packaged copies."""
        if self._shipped is None:
            return False
        if os.path.abspath(self._shipped) == os.path.abspath(self.dir):
            return True  # the archive has no schemas of its own: these are docgen's
        if self._packaged is None:
            self._packaged = _read_schema_files(self._shipped)
        return all(self.raw.get(name) == self._packaged.get(name) for name in ("common", kind))

    def _check_patterns(self) -> None:
        """Every `pattern` of every schema file compiles, else a message naming the file (not a crash)."""
        if self._patterns_checked:
            return
        for kind, schema in self.raw.items():
            for pattern in _patterns(schema):
                try:
                    re.compile(pattern)
                except (re.error, TypeError) as exc:
                    raise DocgenError(f"模式文件 {os.path.join(self.dir, kind + '.schema.json')} 中的正则表达式"
                                      f"“{pattern}”无效：{exc}") from None
        self._patterns_checked = True

    def inline(self, schema, resolver, depth: int = 0):
        """A copy of `schema` with every `$ref` replaced by what it names."""
        if depth > 50:
            raise DocgenError("模式文件中的 $ref 层层引用过深（可能循环引用）")
        if isinstance(schema, list):
            return [self.inline(item, resolver, depth + 1) for item in schema]
        if not isinstance(schema, dict):
            return schema
        for dynamic in ("$dynamicRef", "$recursiveRef"):  # resolved while validating, from anywhere: a URL, a file
            if dynamic in schema:
                raise DocgenError(f"模式文件中的“{dynamic}: {schema[dynamic]}”不受支持：docgen 不从网络或档案以外"
                                  "读取模式，请改用 $ref 引用本档案 schemas/ 中的定义")
        if "$ref" in schema:
            try:
                resolved = resolver.lookup(schema["$ref"])
            except Exception as exc:  # referencing raises several kinds of Unresolvable
                raise DocgenError(f"模式文件中的引用“{schema['$ref']}”无法解析：{exc}") from None
            resolver = resolved.resolver
            schema = {**resolved.contents, **{k: v for k, v in schema.items() if k != "$ref"}}
        return {k: (self.inline(v, resolver, depth + 1) if k not in ("enum", "const", "required") else v)
                for k, v in schema.items()}

    def digest(self) -> str:
        """SHA-256 of the schema files' contents (made once)."""
        if self._digest is None:
            self._digest = hashlib.sha256(self.digest_source()).hexdigest()
        return self._digest

    def digest_source(self) -> bytes:
        """The schema files' contents, for build manifests and cache keys (made once)."""
        if self._source is None:
            self._source = json.dumps(self.raw, sort_keys=True, ensure_ascii=False).encode()
        return self._source

    # -- checking -------------------------------------------------------------------------
    def check(self, record: Record) -> list[Problem]:
        try:
            return self._check(record)
        except RecursionError:  # `$ref`s that lead round in a circle (a → b → a) in an archive's own schemas
            raise DocgenError(f"模式文件 {record.kind}.schema.json 中的 $ref 循环引用（如 a 引用 b、b 又引用 a），"
                              f"无法校验；请改正模式文件，或删除档案中的 schemas 文件夹以使用 docgen 自带的模式") from None

    def _check(self, record: Record) -> list[Problem]:
        validator = self.validators.get(record.kind)
        if validator is None:
            return [record.problem((), f"找不到“{record.kind}”类记录的模式文件 {record.kind}.schema.json")]
        from docgen.records import textcheck

        problems = textcheck.check(record, lambda path: self._title_or_none(record.kind, path))
        if validator.is_valid(record.data):
            return problems
        errors = list(validator.iter_errors(record.data))
        # a date's pattern and its format say the same of one value: the format's words (a real date) once
        dated = {tuple(e.absolute_path) for e in errors if e.validator == "format"}
        # a value of the wrong type is said once, by its type ("应为文本，而这里是空值"), not again as an
        # option "None" or a date "['2023-11-07']" (a format or pattern applies to text only)
        typed = {tuple(e.absolute_path) for e in errors if e.validator == "type"}
        problems += [self._problem(record, error) for error in errors
                     if not (error.validator == "pattern" and tuple(error.absolute_path) in dated)
                     and not (error.validator in ("enum", "format", "pattern") and not isinstance(error.instance, str)
                              and tuple(error.absolute_path) in typed)]
        return sorted(set(problems))

    def _title_or_none(self, kind: str, path: tuple) -> str | None:
        try:
            return self.title_at(kind, path)
        except (KeyError, AttributeError, TypeError):
            return None

    def _title(self, schema: dict, fallback: Any) -> str:
        return schema.get("title") or str(fallback)

    def title_at(self, kind: str, path: tuple) -> str | None:
        """The title of the field at `path`, as the referring schema names it (成文日期, not 日期)."""
        schema = self.validators[kind].schema
        for key in path:
            if isinstance(key, int):
                schema = schema.get("items") if isinstance(schema.get("items"), dict) else {}
            else:
                props = schema.get("properties") or {}
                extra = schema.get("additionalProperties")
                schema = props.get(key) or (extra if isinstance(extra, dict) else {})
        return schema.get("title") if path else None

    def _problem(self, record: Record, error) -> Problem:
        path = tuple(error.absolute_path)
        schema = error.schema if isinstance(error.schema, dict) else {}
        title = self.title_at(record.kind, path) or self._title(schema, path[-1] if path else record.kind)
        value = error.instance
        kind = error.validator
        if kind == "required":
            missing = [k for k in error.validator_value if isinstance(value, dict) and k not in value]
            key = missing[0] if missing else error.validator_value[0]
            root = self.validators[record.kind].schema
            sub = schema.get("properties", {}).get(key) or root["properties"].get(key, {})
            where = f"「{title}」中" if path else ""
            return record.problem(path, f"{where}缺少必填字段「{self._title(sub, key)}」（{key}）")
        if kind == "additionalProperties":
            known = list(schema.get("properties", {}))
            extras = [k for k in value if k not in known] if isinstance(value, dict) else []
            key = extras[0] if extras else "?"
            if record.kind == "inspection" and _old_shape(path, key):
                return record.problem(path + (key,), f"「{_shown(key)}」是旧格式的写法（全部部门共用一个抽查结果）："
                                                     "现在每个部门在 departments 中分别记录自己的检查事项、结果和日期，"
                                                     "请运行 docgen migrate 转换（先用 docgen migrate --dry-run 查看改动）",
                                      key=True)
            import difflib

            if isinstance(key, str) and key[:1] == "\u3000":  # a full-width space meant as indentation
                from docgen.records.yamlerrors import FULL_WIDTH_INDENT

                return record.problem(path + (key,), FULL_WIDTH_INDENT + "（它让这个字段成了上一层的未知字段"
                                                     f"「{_shown(key)}」）", key=True)
            hint = difflib.get_close_matches(key, known, n=1)
            tip = f"，是否想写「{hint[0]}」？" if hint else f"；可用的字段有：{'、'.join(known)}"
            return record.problem(path + (key,), f"「{title}」中有未知字段「{_shown(key)}」{tip}", key=True)
        if kind == "type":
            expected = error.validator_value
            names = "或".join(_TYPE_NAMES.get(t, t) for t in ([expected] if isinstance(expected, str) else expected))
            raw = record.doc.source_text(path)
            if raw and value is not None and "string" in ([expected] if isinstance(expected, str) else expected):
                # unquoted 13800000000: YAML (and so the editor and check-jsonschema) reads a number
                quoted = "'" + raw.replace("'", "''") + "'"
                if schema.get("format") == "date" and re.fullmatch(r"[0-9]{8}", raw):  # visit: 20231120
                    dashed = f"{raw[:4]}-{raw[4:6]}-{raw[6:]}"
                    return record.problem(path, f"「{title}」应写成 YYYY-MM-DD，如 '{dashed}'（加上短横线和引号），"
                                                f"不加引号的 {raw} 会被读作{_type_name(value)}")
                return record.problem(path, f"「{title}」应为文本，而不加引号的 {raw} 会被读作{_type_name(value)}："
                                            f"请加引号：{quoted}（或运行 docgen fmt 自动加上）")
            hint = ""
            if isinstance(value, (dict, list)) and "string" in ([expected] if isinstance(expected, str) else expected) \
                    and not any(k in schema for k in ("format", "pattern", "enum")) and _written_in_brackets(record, path):
                hint = "：以“{”或“[”开头的值会被读作字段表或列表，请用引号把整个值括起来（如 '{无}'）"
            if "object" in ([expected] if isinstance(expected, str) else expected):  # visit：'2023-11-07'
                from docgen.records.yamlerrors import wide_colon_hint

                if wide := wide_colon_hint(value):
                    return record.problem(path, f"「{title}」应为{names}，而这里是{_type_name(value)}：{wide}")
            return record.problem(path, f"「{title}」应为{names}，而这里是{_type_name(value)}{hint}")
        if kind == "enum":
            options = "、".join(str(o) for o in error.validator_value)
            if value is None:  # left empty (`status:` or `~`): said as such, not as a value “None”
                return record.problem(path, f"「{title}」没有填写，应为：{options}")
            pieces = [p.strip() for p in re.split("[，、；;]", value)] if isinstance(value, str) else []
            if len(pieces) > 1 and all(p in error.validator_value for p in pieces) and path and isinstance(path[-1], int):
                # an item of a list written as several joined with full-width commas: [实地检查，书面检查]
                return record.problem(path, f"「{title}」的值“{_shown(value)}”不在可选范围内：这是用全角逗号或顿号连在一起的"
                                            "几项，列表各项之间请用半角逗号“,”分隔，或每项单独一行写成“- 项”")
            return record.problem(path, f"「{title}」的值“{_shown(value)}”不在可选范围内，应为：{options}")
        if kind in ("pattern", "format"):
            hint = PATTERN_HINTS.get(schema.get("pattern")) or schema.get("description", "")
            if kind == "format" and error.validator_value == "date":
                hint = "应为真实存在的日期，写成 YYYY-MM-DD，如 2023-10-30"
            return record.problem(path, f"「{title}」的值“{_shown(value)}”格式不正确：{hint}")
        if kind == "minLength":
            return record.problem(path, f"「{title}」不能为空")
        if kind == "maxLength":
            return record.problem(path, f"「{title}」最多 {error.validator_value} 个字符")
        if kind == "minItems":
            return record.problem(path, f"「{title}」至少需要 {error.validator_value} 项")
        if kind == "maxItems":
            return record.problem(path, f"「{title}」最多 {error.validator_value} 项")
        if kind == "minimum":
            return record.problem(path, f"「{title}」应不小于 {error.validator_value}，而这里是 {value}")
        if kind == "maximum":
            return record.problem(path, f"「{title}」应不大于 {error.validator_value}，而这里是 {value}")
        if kind == "uniqueItems":
            return record.problem(path, f"「{title}」中有重复的项")
        if kind in ("oneOf", "anyOf"):
            described = schema.get("description")
            return record.problem(path, f"「{title}」的写法不正确：{described}" if described else
                                  f"「{title}」的写法不正确：不符合模式文件允许的任何一种写法")
        if kind == "propertyNames":
            return record.problem(path, f"「{title}」中的编号格式不正确：只能包含字母、数字、“-”和“_”")
        # a rule docgen's own schemas do not use (an office may add one): said in Chinese, naming it
        return record.problem(path, f"「{title}」不符合模式文件中的规则“{kind}”"
                                    f"（{_shown(error.validator_value) if not isinstance(error.validator_value, (dict, list)) else '见模式文件'}）")


def _written_in_brackets(record, path: tuple) -> bool:
    """Whether the value at `path` is written opening with “{” or “[” on its line (YAML's flow style: a
    clerk's {限期}整改), not as the indented lines of a mapping or list."""
    from docgen.cache import read_regular

    line, column = record.doc.position(path)
    try:
        rows = read_regular(record.abspath).decode("utf-8", "replace").split("\n")
    except OSError:
        return False
    return 0 < line <= len(rows) and rows[line - 1][column - 1:column] in ("{", "[")


def _old_shape(path: tuple, key) -> bool:
    """An inspection field of the shape before departments had their own results."""
    from docgen.records.results import OLD_DATE_KEYS, OLD_TOP_KEYS

    return (path == () and key in OLD_TOP_KEYS) or (path == ("dates",) and key in OLD_DATE_KEYS)
