"""Issue 12: the example archive prints the seeds' own words, and nothing else.

The seeds (tests/seeds/, copies of the two source documents) are plain text taken from
print: one line per paragraph, except where a page end or a title's line break split a
paragraph into several lines. So the comparison reads both sides as paragraphs with all
whitespace removed (the seeds' spaces are extraction artefacts such as "2023 年"), and
walks them in step: every paragraph of 00 通知 followed by 01 实施方案 must equal the next
seed line or the next few seed lines joined (a paragraph the seed split). Nothing may be
skipped, changed, reordered or added.

The only fixed form text a document may print between the seed's paragraphs is an
attachment label: the template prints GB/T 9704's "附件N" where the seed typed "附件 1:".
Page numbers sit in the footers, which are not part of the body compared here.
"""

import pathlib
import re
import zipfile

import pytest
from lxml import etree

from conftest import build_example

SEEDS = pathlib.Path(__file__).resolve().parent / "seeds"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
LABEL = re.compile(r"^附件(\d+)[:：]?$")  # after whitespace is removed
PLANS = {"qa-2023-30": "000_358c81b941117cc7.txt", "qx-2024-6": "001_8437c0ac626acd8f.txt"}


def squeeze(text: str) -> str:
    return "".join(text.split())


def seed_lines(name: str) -> list[str]:
    return [squeeze(line) for line in (SEEDS / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def docx_paragraphs(path: pathlib.Path) -> list[str]:
    """Every non-empty paragraph of the body in reading order, tables and frames included."""
    with zipfile.ZipFile(path) as package:
        root = etree.fromstring(package.read("word/document.xml"))
    found = []
    for p in root.iter(W + "p"):
        text = "".join(el.text or "" if el.tag == W + "t" else "\n"
                       for el in p.iter(W + "t", W + "br", W + "tab") if el.getparent().tag == W + "r")
        if squeeze(text):
            found.append(squeeze(text))
    return found


def align(printed: list[str], seed: list[str]) -> list[str]:
    """Walk both in step; return what is wrong, in words a reviewer can check against the seed."""
    problems, at = [], 0
    for paragraph in printed:
        label = LABEL.match(paragraph)
        if label and at < len(seed) and (seed_label := LABEL.match(seed[at])):
            if seed_label.group(1) != label.group(1):
                problems.append(f"attachment label {paragraph!r} where the seed has {seed[at]!r}")
            at += 1
            continue
        joined, start = "", at
        while at < len(seed) and len(joined) < len(paragraph) and paragraph.startswith(joined + seed[at]):
            joined += seed[at]
            at += 1
        if joined != paragraph:
            expected = seed[start] if start < len(seed) else "(end of seed)"
            problems.append(f"printed {paragraph!r}\n    seed    {expected!r}")
            return problems  # out of step: later differences would only repeat this one
    problems += [f"missing from the documents: {line!r}" for line in seed[at:]]
    return problems


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build_example(tmp_path_factory, "seeds") / "output"


@pytest.mark.parametrize("plan", sorted(PLANS))
def test_notice_and_scheme_print_the_seed_word_for_word(built, plan):
    printed = docx_paragraphs(built / plan / "00_通知.docx") + docx_paragraphs(built / plan / "01_实施方案.docx")
    assert align(printed, seed_lines(PLANS[plan])) == []


def test_the_comparison_catches_changes():
    seed = ["一、抽查时间", "对各机构从业人员资质、教材使用情", "况进行监督抽查。", "附件1:", "迁安市消防救援支队。"]
    good = ["一、抽查时间", "对各机构从业人员资质、教材使用情况进行监督抽查。", "附件1", "迁安市消防救援支队。"]
    assert align(good, seed) == []
    assert align(good[:2] + good[3:], seed)                              # a label missing
    assert align(good[:-1] + ["迁安市消防救援大队。"], seed)               # a word changed
    assert align(good + ["信用风险越高抽查比例越高。"], seed)               # a sentence added
    assert align(good[:-1], seed) == ["missing from the documents: '迁安市消防救援支队。'"]
    assert align([good[1], good[0]] + good[2:], seed)                     # order changed
