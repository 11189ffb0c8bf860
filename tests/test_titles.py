"""Issue 12: titles break where the clerk says, else between words; the 标志 is condensed to fit one line."""

from docgen.records.model import HEADER_PT, TEXT_BLOCK_PT, _ems, header_view, recipients_text, title_lines


def test_clerks_line_breaks_are_kept():
    assert title_lines("中共迁西县委教育工作委员会\n迁西县教育局\n关于印发《方案》的通知") == (
        "中共迁西县委教育工作委员会", "迁西县教育局", "关于印发《方案》的通知")


def test_short_title_stays_one_line():
    assert title_lines("“双随机、一公开”抽查结果公示表") == ("“双随机、一公开”抽查结果公示表",)


def test_long_titles_break_between_words_and_outside_quotes():
    assert title_lines("关于开展迁安市2023年度跨部门“双随机、一公开”联合抽查的通知") == (
        "关于开展迁安市2023年度跨部门", "“双随机、一公开”联合抽查的通知")
    assert title_lines("迁安市“双随机、一公开”跨部门联合抽查告知书") == ("迁安市“双随机、一公开”", "跨部门联合抽查告知书")
    # inside 《》 only when nothing else fits, and never inside “”
    assert title_lines("关于印发《2024年“双随机、一公开”监管工作实施方案》的通知") == (
        "关于印发《2024年“双随机、一公开”", "监管工作实施方案》的通知")
    for title in ("关于开展迁安市2023年度跨部门“双随机、一公开”联合抽查的通知",
                  "2023年迁安市教育局校外培训机构跨部门“双随机、一公开”联合抽查实施工作方案"):
        lines = title_lines(title)
        assert "".join(lines) == title and all(_ems(line) <= 20 for line in lines)


def test_no_word_boundary_fits_leaves_wrapping_to_the_word_processor():
    assert title_lines("甲" * 45) == ("甲" * 45,)


def test_issuing_body_mark_is_condensed_to_the_text_block():
    long = header_view({"header": "迁安市“双随机一公开”工作领导小组办公室文件"})
    assert long.scale < 100 and _ems(long.text) * HEADER_PT * long.scale / 100 <= TEXT_BLOCK_PT
    assert header_view({"header": "中共迁西县委教育工委文件"}).scale == 100
    joint = header_view({"header_bodies": ["中共迁西县委教育工作委员会", "迁西县教育局"]})
    assert joint.bodies and joint.suffix == "文件" and not joint.text


def test_recipients_as_worded_or_joined():
    assert recipients_text("各学区中心校，民办校（园），机关相关科室：") == "各学区中心校，民办校（园），机关相关科室："
    assert recipients_text(["迁安市教育局", "迁安市公安局"]) == "迁安市教育局、迁安市公安局："


def test_a_notice_title_keeps_the_clerks_own_line_breaks(archive):
    """As the plan's title: a 告知书 title written in lines prints in those lines."""
    import docx

    from conftest import edit, run_docgen

    plan = archive / "records" / "plans" / "qa-2023-30.yaml"
    edit(plan, "  title: 迁安市“双随机、一公开”跨部门联合抽查告知书",
         "  title: |-\n    迁安市“双随机、一公开”跨部门\n    联合抽查告知书")
    assert run_docgen("build", cwd=archive).returncode == 0
    letter = next((archive / "output" / "qa-2023-30").glob("02_告知书_*.docx"))
    text = "\n".join(p.text for p in docx.Document(str(letter)).paragraphs)
    assert "迁安市“双随机、一公开”跨部门\n联合抽查告知书" in text
