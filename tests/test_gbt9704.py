"""Issue 12: 00 通知 prints where GB/T 9704-2012 puts things, measured in the PDF LibreOffice makes.

Positions are in mm from the top of an A4 page whose text block is 156 × 225 mm starting 37 mm
from the top; a character's top and bottom edges are those of its em box (tests/pdf_layout.py).
Skipped where LibreOffice is not installed; CI installs it.
"""

import shutil

import pytest
import yaml

from conftest import EXAMPLE, run_docgen
from pdf_layout import lines, rules, text_fonts, to_pdf

pytestmark = pytest.mark.skipif(not (shutil.which("soffice") or shutil.which("libreoffice")),
                                reason="LibreOffice (soffice) is not installed")

TEXT_TOP, TEXT_BOTTOM, TEXT_LEFT, TEXT_WIDTH = 37.0, 262.0, 28.0, 156.0
LINE_MM = 225 / 22          # one line of 3号 body text on the 22-line grid
TOLERANCE = 2.0
PLANS = ("qa-2023-30", "qx-2024-6")


JOINT = ["中共迁西县委教育工作委员会", "迁西县教育局"]


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    """The example's two notices, and qx-2024-6 again with the joint 标志 (联合行文) of its two bodies."""
    root = tmp_path_factory.mktemp("gbt9704")
    plans = {p: yaml.safe_load((EXAMPLE / "plans" / f"{p}.yaml").read_text(encoding="utf-8")) for p in PLANS}
    copies = []
    for variant in ("example", "joint"):
        shutil.copytree(EXAMPLE, root / variant / "records")
        if variant == "joint":
            path = root / variant / "records" / "plans" / "qx-2024-6.yaml"
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            del data["header"]
            data["header_bodies"] = JOINT
            path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
            plans["joint"] = data
        result = run_docgen("build", cwd=root / variant)
        assert result.returncode == 0, result.stdout + result.stderr
        for plan in PLANS if variant == "example" else ("qx-2024-6",):
            copies.append(root / f"{variant if variant == 'joint' else plan}.docx")
            shutil.copy(root / variant / "output" / plan / "00_通知.docx", copies[-1])
    pdfs = to_pdf(copies, root)
    found = {pdf.stem: (plans[pdf.stem], lines(pdf), rules(pdf)) for pdf in pdfs}
    found.update({("fonts", pdf.stem): text_fonts(pdf) for pdf in pdfs})
    return found


def only(found, what):
    assert len(found) == 1, f"{what}: expected one line, found {[l.text for l in found]}"
    return found[0]


@pytest.mark.parametrize("plan", PLANS)
def test_issuing_body_mark_on_one_line_35_mm_into_the_text_block(printed, plan):
    record, text, _ = printed[plan]
    page_one = [l for l in text if l.page == 1]
    mark = only([l for l in page_one if l.text == record["header"]], "发文机关标志")
    assert not [l for l in page_one if l is not mark and l.text and l.text in record["header"]], "标志 wraps"
    assert mark.top == pytest.approx(TEXT_TOP + 35, abs=TOLERANCE)
    assert mark.left >= TEXT_LEFT - 0.5


@pytest.mark.parametrize("plan", PLANS)
def test_document_number_two_lines_below_the_mark_and_red_rule_4_mm_below_it(printed, plan):
    record, text, ruled = printed[plan]
    mark = only([l for l in text if l.page == 1 and l.text == record["header"]], "发文机关标志")
    number = only([l for l in text if l.page == 1 and l.text == record["doc_number"]], "发文字号")
    assert number.top - mark.bottom == pytest.approx(2 * LINE_MM, abs=TOLERANCE)  # 标志下空二行
    red = [r for r in ruled if r.page == 1 and r.color[0] > 0.8 and max(r.color[1:]) < 0.2]
    assert red, "no red separator on page 1"
    separator = min(red, key=lambda r: r.y)
    assert separator.y - number.bottom == pytest.approx(4, abs=1.5)
    assert separator.left == pytest.approx(TEXT_LEFT, abs=1)
    assert separator.right - separator.left == pytest.approx(TEXT_WIDTH, abs=1)


def test_colophon_at_the_foot_of_the_last_even_page(printed):
    record, text, ruled = printed["qa-2023-30"]
    last = max(l.page for l in text)
    assert last % 2 == 0
    colophon = record["colophon"]
    day = colophon["date"].split("-")
    wanted = f"{colophon['printer']}{day[0]}年{int(day[1])}月{int(day[2])}日印发"
    line = only([l for l in text if l.text == wanted], "版记")
    assert line.page == last
    black = sorted((r for r in ruled if r.page == last and max(r.color) < 0.2), key=lambda r: r.y)
    assert black, "no rules around the 版记"
    assert black[-1].y == pytest.approx(TEXT_BOTTOM, abs=TOLERANCE)   # the last rule on the text block's edge
    assert black[-2].y < line.top and line.bottom < black[-1].y          # the 版记 between its rules
    assert black[-1].right - black[-1].left == pytest.approx(TEXT_WIDTH, abs=1)
    body = [l for l in text if l.page == last and l.baseline < black[-2].y]
    assert body, "the 版记 shares the last page with the notice"


def test_no_colophon_where_the_seed_has_none(printed):
    _, text, _ = printed["qx-2024-6"]
    assert not [l for l in text if l.text.endswith("印发")]


def test_joint_issuing_bodies_stacked_with_the_suffix_centred_right_of_them(printed):
    record, text, ruled = printed["joint"]
    page_one = [l for l in text if l.page == 1]
    number = only([l for l in page_one if l.text == record["doc_number"]], "发文字号")
    head = [l for l in page_one if l.baseline < number.top]   # the title names the bodies again
    bodies = [only([l for l in head if l.text == name], name) for name in JOINT]
    suffix = only([l for l in page_one if l.text == "文件"], "文件")
    assert bodies[0].top == pytest.approx(TEXT_TOP + 35, abs=TOLERANCE)
    assert bodies[0].baseline < bodies[1].baseline
    assert bodies[0].left == pytest.approx(bodies[1].left, abs=0.5)         # stacked, spread to one width
    assert suffix.left > bodies[0].left + 60
    middle = (bodies[0].top + bodies[-1].bottom) / 2
    assert (suffix.top + suffix.bottom) / 2 == pytest.approx(middle, abs=TOLERANCE)
    assert number.top - bodies[-1].bottom == pytest.approx(2 * LINE_MM, abs=TOLERANCE)
    red = [r for r in ruled if r.page == 1 and r.color[0] > 0.8 and max(r.color[1:]) < 0.2]
    assert min(r.y for r in red) - number.bottom == pytest.approx(4, abs=1.5)


@pytest.mark.parametrize("plan", PLANS)
def test_chinese_quotes_print_in_the_chinese_font(printed, plan):
    """“ ” ‘ ’ — … belong to both scripts; with zh-CN and the east-Asian hint they take the CJK font."""
    fragments = printed[("fonts", plan)]
    chinese = {font for text, font in fragments if any("\u4e00" <= c <= "\u9fff" for c in text)}
    marks = {font for text, font in fragments if any(c in "“”‘’—…" for c in text)}
    assert marks and chinese and marks <= chinese, (marks, chinese)
