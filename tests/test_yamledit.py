"""docgen.records.yamledit: a record's values changed where they are written, everything else kept."""

from hypothesis import given, settings, strategies as st

from docgen.records.loader import parse_bytes
from docgen.records.yamledit import edited, same

RECORD = """# 检查对象（经办：郭玲玲）
id: org-1
name: 甲公司   # 全称
contact:
  name: 赵雪
  # 手机
  phone: '13273165211'
tags:
- 一
- 二

# 末尾说明
"""


def data(blob: bytes):
    doc, problems = parse_bytes(blob, "x.yaml")
    assert doc is not None and not [p for p in problems if p.is_error]
    return doc.data


def test_a_changed_value_a_new_key_and_a_new_item_in_place():
    old = data(RECORD.encode())
    new = {**old, "name": "乙公司 & <{x}> = \"y\"", "contact": {**old["contact"], "phone": "0315-7665600",
                                                              "title": "校长"}, "tags": ["一", "二", "三"],
           "status": "存续"}
    out = edited(RECORD.encode(), new, "x.yaml").decode()
    assert data(out.encode()) == new
    assert out == ("# 检查对象（经办：郭玲玲）\nid: org-1\nname: 乙公司 & <{x}> = \"y\"   # 全称\ncontact:\n"
                   "  name: 赵雪\n  # 手机\n  phone: 0315-7665600\n  title: 校长\ntags:\n- 一\n- 二\n- 三\n"
                   "status: 存续\n\n# 末尾说明\n")


def test_line_ends_and_a_last_line_without_one_are_kept():
    crlf = RECORD.replace("\n", "\r\n").encode()
    out = edited(crlf, {**data(crlf), "tags": ["一", "二", "三"]}, "x.yaml")
    assert out == crlf.replace(b"- \xe4\xba\x8c\r\n", "- 二\r\n- 三\r\n".encode())
    bare = b"id: org-1\nname: a"
    assert edited(bare, {"id": "org-1", "name": "a", "type": "b"}, "x.yaml") == b"id: org-1\nname: a\ntype: b\n"


def test_what_is_not_done_in_place():
    old = data(RECORD.encode())
    assert edited(RECORD.encode(), {k: v for k, v in old.items() if k != "tags"}, "x.yaml") is None  # removed
    assert edited(RECORD.encode(), {**old, "tags": ["一"]}, "x.yaml") is None  # shortened
    assert edited(RECORD.encode(), {**old, "name": "两行\n文字"}, "x.yaml") is None  # several lines
    flow = b"id: org-1\ntags: [a, b]\n"
    assert edited(flow, {"id": "org-1", "tags": ["a", "b", "c"]}, "x.yaml") is None
    assert edited(b"id: [\n", {"id": "x"}, "x.yaml") is None  # not YAML
    assert edited(RECORD.encode(), data(RECORD.encode()), "x.yaml") == RECORD.encode()  # nothing to do


@settings(max_examples=150, deadline=None)
@given(name=st.text(min_size=1, max_size=12), phone=st.text(min_size=1, max_size=12),
       more=st.lists(st.text(min_size=1, max_size=6), max_size=3))
def test_any_text_reads_back_as_written_and_comments_stay(name, phone, more):
    old = data(RECORD.encode())
    new = {**old, "name": name, "contact": {**old["contact"], "phone": phone}, "tags": old["tags"] + more}
    out = edited(RECORD.encode(), new, "x.yaml")
    if out is None:  # (a text YAML would need written otherwise: the caller writes the file anew)
        return
    assert same(data(out), new)
    text = out.decode()
    for comment in ("# 检查对象（经办：郭玲玲）\n", "   # 全称\n", "  # 手机\n", "\n# 末尾说明\n"):
        assert comment in text


def test_types_empty_values_and_odd_files():
    """A value of another type (true for 1), an empty value filled, a file with a BOM, a tab or no
    last line end, a long value: edited in place, reading back exactly as asked."""
    cases = [
        (b"a: 1\nb: 2\n", {"a": True, "b": 2}, b"a: true\nb: 2\n"),
        (b"l:\n- 1\n- 0\n", {"l": [True, False]}, b"l:\n- true\n- false\n"),
        (b"a:\nb: 2\n", {"a": "x", "b": 2}, b"a: x\nb: 2\n"),
        ("a: # 待补\nb: 2\n".encode(), {"a": "x", "b": 2}, "a: x # 待补\nb: 2\n".encode()),
        (b"l:\n-\n- 2\n", {"l": ["x", 2]}, b"l:\n- x\n- 2\n"),
        ("\ufeffa: 1  # 注\n".encode(), {"a": 2}, "\ufeffa: 2  # 注\n".encode()),
        (b"a: 1  # \there\n", {"a": 2}, b"a: 2  # \there\n"),
        (b"a: 1\t# c\nb: 2\n", {"a": 1, "b": 3}, b"a: 1\t# c\nb: 3\n"),  # a tab before a comment, as libyaml reads it
        (b"a: 1\nb: 2", {"a": 1, "b": 3}, b"a: 1\nb: 3"),
        (b"a: 1\n", {"a": "x " * 60}, ("a: '" + "x " * 60 + "'\n").encode()),
    ]
    for blob, new, want in cases:
        assert edited(blob, new, "x.yaml") == want, (blob, new)
        assert same(data(want), new)
    bom = "\ufeffa: 1\n".encode()
    assert edited(bom, {"a": 1}, "x.yaml") == bom  # nothing to change: the very bytes


def test_what_cannot_be_written_is_none_never_an_exception():
    import json

    assert edited(b"a: 1\n", {"a": 10 ** 5000}, "x.yaml") is None
    assert edited(b"a: 1\n", {"a": 1, "b": json.loads("[" * 400 + "]" * 400)}, "x.yaml") is None
    assert edited(b"a: !!map\n  b: 1\n", {"a": {"b": 1, "c": 2}}, "x.yaml") is None  # a tag before the mapping
    assert edited(b"\xff\xfe", {"a": 1}, "x.yaml") is None
