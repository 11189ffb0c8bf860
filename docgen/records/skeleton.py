"""Records written for people: every field of the schema, each with its Chinese title and
description as a comment; fields not filled in are left empty (required) or commented out."""

from __future__ import annotations

from typing import Any

from docgen.records.yamlout import dump


def _comment(schema: dict, required: bool, indent: str) -> str:
    title = schema.get("title", "")
    description = schema.get("description", "")
    text = title if not description or description == title else f"{title}：{description}"
    enum = schema.get("enum") or (schema.get("items") or {}).get("enum")
    if enum:
        text += "（可选：" + "、".join(str(e) for e in enum) + "）"
    return f"{indent}# {text}{'（必填）' if required else ''}\n"


def _empty(schema: dict) -> Any:
    """The value shown for a field left out: its default when the schema gives one (what leaving it
    out means), else an empty value of its type."""
    if "default" in schema:
        return schema["default"]
    kind = schema.get("type")
    return {"array": [], "object": {}, "integer": 0, "number": 0, "boolean": False}.get(kind, "")


def render(schema: dict, data: dict, indent: str = "", shown: dict | None = None) -> str:
    """YAML for `data` in the order of the schema's fields, each preceded by its description.
    `shown`: what a field left out (commented out) stands for, where the record inherits it (an
    inspection's `credit_driven` is its plan's) rather than from the schema's default."""
    out = []
    props = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    for key, sub in props.items():
        if key == "$schema":
            continue
        out.append(_comment(sub, key in required, indent))
        if key in data:
            value = data[key]
            if isinstance(value, dict) and sub.get("type") == "object" and sub.get("properties"):
                out.append(f"{indent}{key}:\n" + render(sub, value, indent + "  "))
            else:
                out.append(_indent(dump({key: value}), indent))
        elif key in required:
            if sub.get("type") == "object" and sub.get("properties"):
                out.append(f"{indent}{key}:\n" + render(sub, {}, indent + "  "))
            else:
                out.append(_indent(dump({key: _empty(sub)}), indent))
        else:
            value = shown[key] if shown and key in shown else _empty(sub)
            out.append(_indent(dump({key: value}), indent + "# "))
    for key, value in data.items():  # fields the schema does not know: kept, validate will say so
        if key not in props:
            out.append(_indent(dump({key: value}), indent))
    return "".join(out)


def _indent(text: str, prefix: str) -> str:
    return "".join(prefix + line + "\n" for line in text.rstrip("\n").split("\n"))
