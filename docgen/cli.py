"""The `docgen` command: thin shells around load → check → build, draw and status."""

from __future__ import annotations

import os
import sys

import click

from docgen import __version__, cli_i18n
from docgen.records.archive import Archive
from docgen.records.problems import DocgenError
from docgen.start import leave as _leave, summary_of, unchanged_line  # what a replay prints too

cli_i18n.install()

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
records_option = click.option("--records", "records_dir", default="records", show_default=True,
                              type=click.Path(file_okay=False), help="记录目录（档案中的 records/）")


def echo_problems(problems) -> None:
    for problem in problems:
        click.echo(str(problem))


def summary(checked) -> str:
    return summary_of(checked.problems, checked.record_count)




@click.group(context_settings=CONTEXT)
@click.version_option(__version__, "-V", "--version", message="docgen %(version)s")
def cli() -> None:
    """docgen：“双随机、一公开”联合抽查的记录校验与文书生成。

    记录是 records/ 下的 YAML 文件（每个计划、部门、检查对象、抽查记录一个文件），
    docgen 校验它们，并按官方附件模板生成可直接打印的 Word 和 Excel 文书。
    """


@cli.command(context_settings=CONTEXT)
@records_option
@click.option("--as-of", "as_of", metavar="DATE", help="按此日期判断是否逾期（YYYY-MM-DD），默认今天")
@click.option("--staged", is_flag=True,
              help="校验 git 暂存区中（即将提交）的记录，而不是工作目录中的文件（提交前钩子用）")
def validate(records_dir: str, as_of: str | None, staged: bool) -> None:
    """校验全部记录：格式、必填字段、相互引用、信用代码、日期顺序和工作时限。

    每个问题一行，格式为“文件:行:列: 说明”。没有错误时退出码为 0，有错误时为 1。
    """
    from docgen.records.check import check_archive

    if staged:
        from docgen.office.staged import staged_archive

        with staged_archive(records_dir) as (archive, real):
            checked = check_archive(archive, use_cache=False, today=parse_as_of(as_of))
            checked.problems = [real(p) for p in checked.problems]
    else:
        from docgen.snapshot import replay_check

        archive, today = Archive(records_dir), parse_as_of(as_of)
        replayed = replay_check(archive, today)  # nothing changed since the last check: its result
        if replayed is not None:
            problems, count = replayed
            echo_problems(problems)
            click.echo(summary_of(problems, count))
            sys.exit(1 if any(p.is_error for p in problems) else 0)
        checked = check_archive(archive, today=today, kept_roster=True)
    echo_problems(checked.problems)
    click.echo(summary(checked))
    if staged and checked.errors:
        if not checked.holding:  # only steps done late: facts, not mistakes
            click.echo("以上错误都是超过时限完成的环节（已经发生的事实），不阻止提交；请勿为通过校验改写实际日期。")
            sys.exit(0)
    sys.exit(1 if checked.errors else 0)


def main() -> None:
    """The full run of a command, once `start.main` (the console script and `python -m docgen`) could
    not answer it from the last run's snapshot."""
    from docgen.records import check

    check.ONE_SHOT = True  # `check_archive` may set its records aside from the cycle collector
    try:
        _run()
        code = 0
    except SystemExit as exc:
        code = exc.code
    if code is None:
        code = 0
    elif not isinstance(code, int):
        click.echo(str(code), err=True)
        code = 1
    _leave(code)


def _run() -> None:
    """Clerk-facing errors in Chinese, never a traceback for bad input."""
    try:
        # not click's standalone mode: it would say Ctrl-C with exit code 1, which means "records have errors"
        code = cli.main(prog_name="docgen", standalone_mode=False)
    except DocgenError as exc:
        click.echo(f"错误：{exc}", err=True)
        sys.exit(2)
    except (KeyboardInterrupt, click.exceptions.Abort):  # Ctrl-C (click raises Abort for it)
        click.echo("已中断。", err=True)
        sys.exit(130)
    except click.exceptions.ClickException as exc:  # a wrong option or argument: click's message, translated
        exc.show()
        sys.exit(exc.exit_code)
    except OSError as exc:  # the machine's problem (permissions, full disk) or a wrong path, not the records'
        from docgen.records.problems import EXIT_MACHINE, os_error_text

        text, machine = os_error_text(exc)
        click.echo(f"错误：{text}", err=True)
        sys.exit(EXIT_MACHINE if machine else 2)
    except Exception as exc:  # a bug in docgen, not in the records
        if os.environ.get("DOCGEN_DEBUG"):
            import traceback

            traceback.print_exc()
        click.echo(f"docgen 内部错误：{type(exc).__name__}: {exc}\n"
                   "这是程序的问题，不是记录的问题。请设置环境变量 DOCGEN_DEBUG=1 重新运行，并把输出报告给维护人员。",
                   err=True)
        sys.exit(3)
    if isinstance(code, int) and not isinstance(code, bool):  # `ctx.exit(n)`, --help, --version
        sys.exit(code)


@cli.command(context_settings=CONTEXT)
@click.argument("plan_id", metavar="PLAN")
@click.option("--seed", help="事先公布的随机种子（任意文本，如“2023-10-31 福彩3D 第2023290期 开奖号 527”）")
@click.option("--verify", "verify_only", is_flag=True, help="按抽取记录中的种子重新计算，核对抽查记录是否被改动")
@click.option("--redraw", is_flag=True, help="计划已有抽取时重新抽取（旧的抽取记录保留，未改动的抽查记录被替换）")
@click.option("--dry-run", is_flag=True, help="只显示抽取结果和输入摘要，不写入文件")
@click.option("--resume", is_flag=True, help="完成被中断的抽取（docgen validate 报告“抽取未完成”时）")
@click.option("--rollback", is_flag=True, help="撤销被中断的抽取：删除它写入且未被改动的抽查记录和抽取记录")
@records_option
def draw(plan_id: str, seed: str | None, verify_only: bool, redraw: bool, dry_run: bool, resume: bool,
         rollback: bool, records_dir: str) -> None:
    """随机抽取检查对象和执法人员（双随机），或核对已有的抽取。

    抽取结果完全由种子和名录库内容决定，任何人都可以用同一种子复算（算法见 docs/draw-algorithm.md）。
    """
    from docgen.records.check import check_archive
    from docgen.draw.run import (differences, refuse_seed, resume as resume_draw, rollback as rollback_draw, run_draw,
                                 verify)
    from docgen.draw.scope import check_for_draw

    # a draw reads what it depends on (`draw.scope`); --verify checks the whole archive (the
    # platform's draws compare more of each entity)
    checked = check_archive(Archive(records_dir)) if verify_only else check_for_draw(Archive(records_dir), plan_id=plan_id)
    from docgen.records import check

    if check.ONE_SHOT:  # the process ends with the draw; what it makes holds no cycles worth a collection
        import gc

        gc.disable()
    if resume or rollback:
        if resume and rollback:
            raise click.UsageError("--resume 和 --rollback 只能选一个")
        for line in (resume_draw if resume else rollback_draw)(checked, plan_id):
            click.echo(line)
        return
    if verify_only:
        from docgen.office.platform import platform_draw

        by_platform = platform_draw(checked, plan_id)
        if by_platform is not None:  # drawn by the provincial platform: nothing to recompute
            ok, lines = by_platform
            for line in lines:
                click.echo(line)
            sys.exit(0 if ok else 1)
        ok, findings = verify(checked, plan_id)
        for line in findings:
            click.echo(line)
        click.echo("核对通过：抽查记录与抽取结果一致。" if ok else f"核对未通过：发现 {differences(findings)} 处不一致。")
        sys.exit(0 if ok else 1)
    if not seed:
        raise click.UsageError("抽取需要 --seed（事先公布的随机种子）；核对已有抽取请用 --verify")
    refuse_seed(seed)
    from docgen.office.examples import leftover_examples

    for line in leftover_examples(checked, plan_id):
        click.echo(line)
    for line in run_draw(checked, plan_id, seed, redraw=redraw, dry_run=dry_run):
        click.echo(line)


def _progress(total: int):
    if not sys.stdout.isatty():
        return None
    bar = click.progressbar(length=total, label="生成文书", show_pos=True)
    bar.__enter__()
    return bar


@cli.command(context_settings=CONTEXT, short_help="校验记录并生成全部文书（只重写有变化的）。")
@records_option
@click.option("--out", "out_dir", default="output", show_default=True, type=click.Path(file_okay=False),
              help="文书输出目录")
@click.option("--plan", "plan_ids", multiple=True, metavar="ID", help="只生成指定计划（可重复）")
@click.option("--force", is_flag=True, help="忽略上次生成的记录，全部重新生成；生成后被手工修改过的文书也用新生成的替换"
                                                 "（不是 docgen 写入的文件从不替换）")
@click.option("--pdf", is_flag=True, help="同时用 LibreOffice 转换为 PDF")
@click.option("--as-of", "as_of", metavar="DATE",
              help="统计表的统计日期（YYYY-MM-DD）；默认取记录中最近的日期，使结果可重现")
def build(records_dir: str, out_dir: str, plan_ids: tuple[str, ...], force: bool, pdf: bool,
          as_of: str | None) -> None:
    """校验记录并生成全部文书（通知、实施方案、告知书、台账、核查记录表、告知记录表、分组表、公示表、统计表）。

    只重新生成内容有变化的文书；有错误的记录会列出，其文书不生成也不删除，其余照常生成。

    生成后被手工修改过的文书、以及不是 docgen 写入的同名文件都保留不动，新生成的文书写在旁边（文件名末尾加“（docgen新生成）”）。

    退出码：0 成功，1 记录有错误，2 命令用法或模板有误（或有文书未能生成），3 docgen 内部错误，4 磁盘已满、没有写入权限等机器的问题。
    """
    from docgen.documents.build import BuildFailed, build as run_build

    try:
        report = run_build(Archive(records_dir), out_dir, list(plan_ids) or None, force=force, pdf=pdf,
                           progress=_progress, as_of=parse_as_of(as_of) if as_of else None)
    except BuildFailed as failed:  # the other documents were built: say what was done, then what was not
        echo_problems(failed.report.problems)
        print_report(failed.report, out_dir)
        for line in failed.lines():
            click.echo(f"错误：{line}", err=True)
        if os.environ.get("DOCGEN_DEBUG"):
            for failure in failed.report.failures:
                click.echo(failure.details, err=True, nl=False)
        sys.exit(failed.exit_code)
    echo_problems(report.problems)
    print_report(report, out_dir)
    sys.exit(1 if report.has_errors else 0)


def print_report(report, out_dir: str) -> None:
    for line in report.note_lines():
        click.echo(line)
    if not report.written and not report.removed and not report.pdfs:
        click.echo(unchanged_line(report.unchanged, report.seconds))
        return
    parts = [f"写入 {len(report.written)} 份", f"未变 {report.unchanged} 份"]
    if report.removed:
        parts.append(f"删除 {len(report.removed)} 份")
    if report.pdfs:
        parts.append(f"PDF {len(report.pdfs)} 份")
    click.echo(f"文书已生成到 {out_dir}/：{'，'.join(parts)}（{report.seconds:.2f} 秒）。")


def parse_as_of(value: str | None):
    import datetime as dt

    if value is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"“{value}”不是日期，应写成 YYYY-MM-DD") from None


@cli.command(context_settings=CONTEXT, short_help="抽查进度、考核指标和逾期事项（有逾期或记录有错误时退出码为 1）。")
@click.argument("plan_ids", metavar="[PLAN]...", nargs=-1)
@click.option("--as-of", "as_of", metavar="DATE", help="按此日期统计（YYYY-MM-DD），默认今天")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="输出格式：text 供阅读，json 供脚本使用")
@records_option
def status(plan_ids: tuple[str, ...], as_of: str | None, fmt: str, records_dir: str) -> None:
    """各计划的抽查进度和考核指标：分类抽查比例、信用分类抽查占比、按时录入和公示率、后续处置，
    以及逾期和 3 个工作日内到期的事项。有逾期事项，或记录有错误（未计入统计）时退出码为 1。"""
    import json

    from docgen.records.check import check_archive
    from docgen.status import compute, counted, not_counted, render_text

    today = parse_as_of(as_of)
    checked = check_archive(Archive(records_dir), today=today, kept_roster=True)
    counts = counted(checked)  # records with errors are in no count (as in the 公示表 and statistics)
    unknown = [p for p in plan_ids if p not in counts.index.plans]
    if unknown:
        raise not_counted(checked, unknown[0])
    result = compute(counts, today, list(plan_ids) or None)
    errors = checked.holding  # (a step done late is counted in the status itself)
    left_out = sorted(p for p in checked.index.plans if p not in counts.index.plans)  # plans held out whole
    if fmt == "json":
        data = result.to_json()
        data["record_errors"] = [str(p) for p in errors]  # records held out of every count
        data["plans_left_out"] = left_out
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        click.echo(render_text(result, partial=bool(errors)))
        if left_out:
            click.echo(f"注意：计划 {'、'.join(left_out)} 的记录（或其参与部门、抽查事项清单）有错误，未列出，也未计入统计。")
        if errors:  # a record that cannot be read, or has errors, is in no count above: never in silence
            click.echo(f"注意：记录中有 {len(errors)} 个错误（运行 docgen validate 查看），有错误或读不出的记录"
                       f"（包括计划本身）未计入以上统计。")
    # errors held records out of the counts: "nothing overdue" is then not known, and not said with 0
    sys.exit(1 if result.overdue or errors else 0)


@cli.command(context_settings=CONTEXT)
@records_option
@click.option("--out", "out_dir", default="output", show_default=True, type=click.Path(file_okay=False),
              help="文书输出目录")
def watch(records_dir: str, out_dir: str) -> None:
    """先生成一次文书，然后监视记录、模板和模式文件，保存后自动重新生成有变化的文书。

    有错误的记录会在终端列出，其已生成的文书保持不变；改正并保存后自动重新生成。按 Ctrl-C 退出。
    """
    import signal

    from docgen.records import check
    from docgen.watch import watch as run_watch

    check.ONE_SHOT = False  # a long run: each rebuild's records are let go again
    from docgen.start import one_shot_collector

    one_shot_collector(False)
    # Ctrl-C and SIGTERM stop the watcher, also when a script started it in the background (the shell
    # then leaves SIGINT ignored, and Python would never raise KeyboardInterrupt)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    Archive(records_dir).require()  # (run in a subfolder: where the archive is)
    try:
        run_watch(records_dir, out_dir, click.echo)
    except KeyboardInterrupt:
        click.echo("已停止监视。")
    sys.exit(0)


@cli.command(context_settings=CONTEXT, short_help="建立一个新的抽查档案（记录示例、模板、模式、git 设置）。")
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--force", is_flag=True, help="目录不为空时也建立（已有的文件一律不覆盖）")
def init(directory: str, force: bool) -> None:
    """建立一个新的抽查档案：records/（各类记录示例）、templates/、schemas/、.gitattributes 和说明。"""
    from docgen.office.setup import init as run_init

    created, skipped = run_init(directory, force)
    for path in skipped:
        click.echo(f"已存在，未覆盖：{path}")
    click.echo(f"已在 {directory} 建立档案（新建 {len(created)} 个文件）。下一步：cd {directory} && docgen validate && docgen build")


@cli.command(context_settings=CONTEXT, short_help="新建一条带字段说明的空白记录（不会覆盖已有文件）。")
@click.argument("kind", metavar="KIND")
@click.argument("record_id", metavar="[ID]", required=False)
@records_option
def new(kind: str, record_id: str | None, records_dir: str) -> None:
    """新建一条带字段说明的空白记录。KIND：plan、department、entity、inspection（ID 写成 计划/主体）、
    items（部门的抽查事项清单，ID 为部门编号）、calendar（ID 为年份）。"""
    from docgen.office.setup import new_record

    archive = Archive(records_dir).require()
    path = new_record(archive.records_dir, archive.schemas_dir, kind, record_id)
    click.echo(f"已新建 {os.path.relpath(path)}，请填写后运行 docgen validate")


@cli.command(context_settings=CONTEXT, short_help="把旧格式的抽查记录转为按部门记录结果的新格式。")
@click.option("--dry-run", is_flag=True, help="只显示将要做的改动（diff），不写入文件")
@records_option
def migrate(dry_run: bool, records_dir: str) -> None:
    """把旧格式的抽查记录（全部部门共用一个 result、items 和完成 / 录入 / 公示日期）改写为新格式：
    每个部门在 departments 中有自己的检查事项、抽查结果和日期；把计划中直接写的抽查事项移入各部门的
    抽查事项清单（records/items/部门编号.yaml），计划改为按事项编号选取。注释和其他内容保持原样。"""
    from docgen.records.migrate import apply, plan_changes

    Archive(records_dir).require()
    changes, problems = plan_changes(records_dir)
    for change in changes:
        shown = os.path.relpath(change.path)
        if dry_run:
            click.echo(change.diff(shown), nl=False)
        for note in change.notes:
            click.echo(f"{shown}：{note}")
    for line in problems:
        click.echo(line, err=True)
    if not changes:
        click.echo("没有需要转换的旧格式记录。")
    elif dry_run:
        click.echo(f"共 {len(changes)} 个记录需要转换（未写入；去掉 --dry-run 执行）。")
    else:
        apply(changes, records_dir)
        click.echo(f"已转换 {len(changes)} 个记录，请运行 docgen validate 检查，并按上面的提示补填（已公示结果的审核批准、"
                   f"抽查事项清单的检查依据等）。")
    sys.exit(1 if problems else 0)


@cli.command(context_settings=CONTEXT)
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--for-git", "for_git", is_flag=True,
              help="供 git 调用（docgen git-setup 这样设置）：打不开的文件（如 Word 锁文件 ~$….docx）只输出一行说明，退出码总为 0")
def textconv(path: str, for_git: bool) -> None:
    """以纯文本显示 .docx / .xlsx 文书的内容（供 git diff 使用）。"""
    if for_git:
        from docgen.documents.textconv import textconv_for_git

        click.echo(textconv_for_git(path), nl=False)
        return
    from docgen.documents.textconv import textconv as convert

    if not os.path.exists(path):
        raise DocgenError(f"找不到文件 {path}")
    click.echo(convert(path), nl=False)


@cli.command("fmt", context_settings=CONTEXT, short_help="按标准形式整理记录：给会被误读为数字的文本加引号。")
@click.argument("paths", metavar="[PATH]...", nargs=-1, type=click.Path())
@click.option("--check", "check_only", is_flag=True, help="只列出需要整理的文件，不改动（有需要整理的文件时退出码为 1）")
@records_option
def fmt_command(paths: tuple[str, ...], check_only: bool, records_dir: str) -> None:
    """按标准形式整理记录（默认整理 records/ 下全部记录，也可指定文件或目录）。

    模式要求是文本、却没有加引号而会被读成数字、是否值的值（如电话 13800000000、编号 001、yes），
    原地加上引号；注释、字段顺序和其余内容一概不变。编辑器和 check-jsonschema 因此与 docgen 结论一致。
    """
    from docgen.records.fmt import fmt

    if not paths:
        Archive(records_dir).require()

    report = fmt(list(paths) or [records_dir], check_only)
    for path in report.changed:
        click.echo(f"需要整理：{path}" if check_only else f"已整理：{path}")
    echo_problems(report.problems)
    if check_only:
        click.echo(f"检查了 {report.checked} 个记录文件，{len(report.changed)} 个需要整理"
                   + ("（运行 docgen fmt 整理）。" if report.changed else "。"))
        sys.exit(1 if report.changed or report.problems else 0)
    click.echo(f"检查了 {report.checked} 个记录文件，整理了 {len(report.changed)} 个。")
    sys.exit(1 if report.problems else 0)


@cli.command("git-setup", context_settings=CONTEXT)
def git_setup() -> None:
    """在当前 git 仓库中设置审阅档案所需的 git 配置（只影响本机的这个仓库）。

    git diff / git log -p 显示 Word、Excel 文书中文字的变化（结果缓存；锁文件等打不开的文件只显示一行说明），
    中文文件名原样显示（core.quotePath false），git diff --word-diff 按单个汉字比较，
    并把本机的 docgen 记为 git 命令“git docgen”（提交前钩子用它，不依赖 PATH）。
    """
    from docgen.office.setup import git_setup as run_setup

    for line in run_setup("."):
        click.echo(line)


@cli.group("import", context_settings=CONTEXT)
def import_group() -> None:
    """从监管平台导出的名录库或任务清单导入记录（.xlsx、.xls、.csv；按表头中文列名识别，列的顺序不限）。"""


sheet_option = click.option("--sheet", metavar="NAME", help="读取指定名称的工作表（默认第一个工作表）")
# an example of --column per command, in that command's own fields (tests/test_readme_commands.py tries each)
COLUMN_EXAMPLES = {"entities": "联系电话=手机号码", "departments": "执法证号=证件编号", "task": "任务编号=检查任务号"}


def column_option(command: str):
    return click.option("--column", "columns", multiple=True, metavar="字段=表头",
                        help=f"手工指定某列对应的字段，如 --column {COLUMN_EXAMPLES[command]}（可重复）")


def _print_import(report, dry_run: bool) -> None:
    for line in report.created + report.updated + report.unchanged:
        click.echo(line)
    for line in report.problems:
        click.echo(f"未导入：{line}")
    for line in report.notes:
        click.echo(f"提示：{line}")
    verb = "将" if dry_run else "已"
    click.echo(f"{verb}新建 {len(report.created)} 条，{verb}更新 {len(report.updated)} 条，"
               f"未变 {len(report.unchanged)} 条，{len(report.problems)} 行未导入。")
    sys.exit(1 if report.problems else 0)


@import_group.command("entities", context_settings=CONTEXT)
@click.argument("roster", type=click.Path(exists=True, dir_okay=False))
@click.option("--update", is_flag=True, help="更新已有的记录（报告中列出改动的字段）")
@click.option("--type", "default_type", help="表中没有“主体类型”列时使用的主体类型，如 校外培训机构")
@click.option("--dry-run", is_flag=True, help="只报告，不写入文件")
@sheet_option
@column_option("entities")
@records_option
def import_entities(roster: str, update: bool, default_type: str | None, dry_run: bool, sheet: str | None,
                    columns: tuple[str, ...], records_dir: str) -> None:
    """导入检查对象名录库（统一社会信用代码、企业名称、法定代表人、住所、联系电话、信用风险分类……）。"""
    from docgen.office.roster import import_entities as run_import

    _print_import(run_import(Archive(records_dir).require().records_dir, roster, update, default_type, dry_run, sheet, columns),
                  dry_run)


@import_group.command("departments", context_settings=CONTEXT)
@click.argument("roster", type=click.Path(exists=True, dir_okay=False))
@click.option("--department", "department", metavar="ID", help="全部人员导入到这个部门（编号）")
@click.option("--name", help="新建部门时的部门名称")
@click.option("--update", is_flag=True, help="更新已有人员的信息")
@click.option("--dry-run", is_flag=True, help="只报告，不写入文件")
@sheet_option
@column_option("departments")
@records_option
def import_departments(roster: str, department: str | None, name: str | None, update: bool, dry_run: bool,
                       sheet: str | None, columns: tuple[str, ...], records_dir: str) -> None:
    """导入执法人员名录库（姓名、执法证号、联系电话、所属部门、执法门类……）。"""
    from docgen.office.roster import import_inspectors

    _print_import(import_inspectors(Archive(records_dir).require().records_dir, roster, department, name, update, dry_run,
                                    sheet, columns), dry_run)


@import_group.command("task", context_settings=CONTEXT)
@click.argument("task_list", metavar="FILE", type=click.Path(exists=True, dir_okay=False))
@click.option("--plan", "plan_id", required=True, metavar="ID", help="任务所属的抽查计划编号")
@click.option("--dry-run", is_flag=True, help="只报告，不写入文件")
@sheet_option
@column_option("task")
@records_option
def import_task(task_list: str, plan_id: str, dry_run: bool, sheet: str | None, columns: tuple[str, ...],
                records_dir: str) -> None:
    """导入省级监管平台导出的检查任务清单，写成该计划的抽查记录（平台抽取，不再用 docgen draw）。

    按统一社会信用代码对应检查对象，按执法证号在检查实施机关的名录库中对应执法人员；
    无法对应的行逐行列出，已有的抽查记录不会被覆盖。
    """
    from docgen.records.check import check_archive
    from docgen.office.platform import import_task as run_import

    report = run_import(check_archive(Archive(records_dir)), task_list, plan_id, sheet, columns, dry_run)
    for line in report.created + report.kept:
        click.echo(line)
    for line in report.notes:
        click.echo(f"提示：{line}")
    for line in report.problems:
        click.echo(f"未导入：{line}")
    for line in report.differs:
        click.echo(f"不一致：{line}")
    verb = "将" if dry_run else "已"
    differ = f"（其中 {len(report.differs)} 份与任务清单不一致）" if report.differs else ""
    click.echo(f"{verb}新建 {len(report.created)} 份抽查记录，已存在未覆盖 {len(report.kept)} 份{differ}，"
               f"{len(report.problems)} 处无法导入。")
    wrong = []
    if report.written:  # what the platform assigned, checked against this office's rosters at once
        written = {os.path.abspath(p) for p in report.written}
        wrong = [p for p in check_archive(Archive(records_dir), kept_roster=True).errors
                 if os.path.abspath(p.path) in written]
        for problem in wrong:
            click.echo(str(problem))
        if wrong:
            click.echo(f"导入的抽查记录有 {len(wrong)} 处错误：平台的任务与本地的名录库不符（如执法证已过期、"
                       "缺少所需资格、须回避），请与平台核对后更正名录库或这些记录")
    sys.exit(1 if report.problems or report.differs or wrong else 0)


@cli.group("export", context_settings=CONTEXT)
def export_group() -> None:
    """导出数据，供录入省级监管平台或公示使用。"""


@export_group.command("results", context_settings=CONTEXT)
@click.argument("plan_id", metavar="PLAN")
@click.option("--department", metavar="ID", help="只导出这个部门（编号或名称）的结果")
@click.option("--format", "fmt", type=click.Choice(["xlsx", "csv"]), default=None,
              help="文件格式：xlsx（Excel，默认）或 csv（UTF-8，带 BOM）；不写时按 --out 的扩展名")
@click.option("--out", "out_path", type=click.Path(dir_okay=False),
              help="导出文件路径，默认 output/计划编号/检查结果导出-计划编号[-部门].xlsx；已有的同名文件只有是 docgen "
                   "上次导出、之后未被修改的才会被替换")
@click.option("--force", is_flag=True, help="替换 --out 处已有的文件，即使它不是 docgen 导出的或导出后被修改过")
@records_option
def export_results(plan_id: str, department: str | None, fmt: str, out_path: str | None, force: bool,
                   records_dir: str) -> None:
    """按部门导出检查结果：每个检查对象、每个部门一行（任务编号、统一社会信用代码、企业名称、检查实施机关、
    检查完成日期、检查结果、后续处置、检查人员、执法证号），不含任何电话号码。"""
    from docgen.office.platform import export_results as run_export

    out, count, pending = run_export(Archive(records_dir), plan_id, department, fmt, out_path, force)
    note = f"，其中 {pending} 行尚无检查结果" if pending else ""
    click.echo(f"已导出 {count} 行到 {out}{note}。")
