"""Write records as YAML a clerk can read: keys in a sensible order, Chinese unescaped,
a schema line for editors at the top, and never over an existing file by accident."""

from __future__ import annotations

import os
from typing import Any

import yaml

from docgen.records.tree import FOLDER_OF
from docgen.writer import write_atomic, write_new


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data) -> bool:
        """Never an anchor and alias (`&id001`, `*id001`) for a value written twice: docgen refuses them."""
        return True


def _str(dumper: yaml.SafeDumper, value: str):
    from docgen.records.loader import plain_tag

    # quoted also where only YAML 1.2 (docgen, the editor, check-jsonschema) reads a number: 1e5, 0o17
    style = "|" if "\n" in value else ("'" if plain_tag(value) != "tag:yaml.org,2002:str" else None)
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def schema_line(kind: str, record_path: str, records_dir: str) -> str:
    """`# yaml-language-server: $schema=…` pointing from the record to the archive's schema."""
    schemas = os.path.join(os.path.dirname(os.path.abspath(records_dir)), "schemas", f"{kind}.schema.json")
    rel = os.path.relpath(schemas, os.path.dirname(os.path.abspath(record_path))).replace(os.sep, "/")
    return f"# yaml-language-server: $schema={rel}\n"


def dump(data: Any, width: int = 100) -> str:
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=width,
                     default_flow_style=False)


def record_text(kind: str, data: dict, path: str, records_dir: str, comment: str = "") -> str:
    head = schema_line(kind, path, records_dir)
    if comment:
        head += "".join(f"# {line}\n" if line else "#\n" for line in comment.splitlines())
    return head + dump(data)


def record_path(records_dir: str, kind: str, *parts: str) -> str:
    return os.path.join(records_dir, FOLDER_OF[kind], *parts[:-1], parts[-1] + ".yaml")


def write_record(kind: str, data: dict, path: str, records_dir: str, comment: str = "",
                 overwrite: bool = False) -> None:
    """Write one record; refuses to replace an existing file (FileExistsError, even for one that appears
    while this is written) unless `overwrite` is asked for."""
    from docgen.records.tree import refuse_outside

    refuse_outside(path, records_dir)
    data = record_text(kind, data, path, records_dir, comment).encode("utf-8")
    (write_atomic if overwrite else write_new)(path, data)
