"""Jinja environments whose compiled templates are kept between runs.

Templates reach Jinja through a loader (not `from_string`), so that Jinja's own bytecode
cache — in the user cache folder, see `docgen.usercache` — spares lexing, parsing and
compiling them again in the next run. Jinja's cache knows a template by its name and
source only, so the name carries what else shapes the compiled code: the environment
(`kind`) and docgen's own source.
"""

from __future__ import annotations

import jinja2

_SOURCES: dict[str, str] = {}  # Jinja source of every template handed out, by name


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


def environment(**options) -> jinja2.Environment:
    from docgen import usercache

    folder = usercache.folder()
    return jinja2.Environment(
        loader=jinja2.FunctionLoader(lambda name: (_SOURCES[name], None, lambda: True) if name in _SOURCES else None),
        bytecode_cache=_QuietCache(folder) if folder else None, **options)


def template(env: jinja2.Environment, kind: str, key: str, source: str) -> jinja2.Template:
    """The compiled template for `source` (raises jinja2.TemplateSyntaxError)."""
    import hashlib

    from docgen import usercache

    name = f"{usercache.key(kind)}/{key}/{hashlib.sha256(source.encode('utf-8')).hexdigest()[:16]}"
    _SOURCES[name] = source
    return env.get_template(name)


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
