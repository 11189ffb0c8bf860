"""What a draw record says, as the rules (validate) and `docgen draw` (--verify, --resume) both read it:
its number among the plan's draws, each entity's assignment, and the words for one left unfinished;
and which of a plan's draw records have errors (`--verify` and the build's 08 both stop at them)."""

from __future__ import annotations

IN_PROGRESS = "in-progress"  # a draw record's status while `docgen draw` writes its inspection records


def draw_number(record) -> int:
    """n of an id "<plan>-draw-<n>"."""
    tail = str(record.data.get("id", "")).rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def draws_of(index, plan_id: str) -> list:
    """The plan's draw records, oldest first."""
    return sorted((r for r in index.draws.values() if r.data.get("plan") == plan_id), key=draw_number)


def latest_draw(index, plan_id: str):
    """The plan's newest draw record (a later draw replaces an earlier one; one being written has its
    population already), or None for a plan nobody drew with docgen (its entities from the platform)."""
    draws = draws_of(index, plan_id)
    return draws[-1] if draws else None


def assignments_of(draw_record: dict) -> dict[str, dict]:
    """Per-entity assignment as stored in a draw record (groups plus substitutions), by the rules of
    `make_draw`: a replaced leader's place goes to the first inspector of the leader's department."""
    result = {}
    for group in draw_record.get("groups") or []:
        lead = next((d for d, ids in group["inspectors"].items() if group["leader"] in ids), None)
        for entity_id in group.get("entities") or []:
            result[entity_id] = {"group": group["group"], "leader": group["leader"], "lead": lead,
                                 "inspectors": {d: list(ids) for d, ids in group["inspectors"].items()},
                                 "vehicle": group.get("vehicle")}
    for sub in draw_record.get("substitutions") or []:
        team = result.get(sub["entity"], {}).get("inspectors", {}).get(sub["department"])
        if team and sub["replaced"] in team:
            team[team.index(sub["replaced"])] = sub["by"]
    for assignment in result.values():
        lead = assignment.pop("lead")
        if not any(assignment["leader"] in ids for ids in assignment["inspectors"].values()):
            team = assignment["inspectors"]
            assignment["leader"] = team[lead if lead in team else next(iter(team))][0]
    return result


def unfinished_message(record, plan_id: str) -> str:
    """What a clerk reads about an interrupted draw (validate says the same at the record's line)."""
    return (f"抽取未完成：{record.path} 记录的抽取在写入抽查记录时被中断，records/inspections/{plan_id}/ 中的"
            f"抽查记录可能不全。请运行 docgen draw {plan_id} --resume 完成这次抽取，"
            f"或 docgen draw {plan_id} --rollback 撤销它（只删除它写入且未被改动的文件）后重新抽取")


def broken_draws(checked, plan_id: str) -> list[tuple[int, str]]:
    """(number, path) of the plan's draw records that have errors: those that name the plan, and
    files named "<plan>-draw-<n>" that could not be read at all."""
    import os

    from docgen.records.tree import FOLDER_OF, display

    folder = display(os.path.join(checked.archive.records_dir, FOLDER_OF["draw"])).replace(os.sep, "/") + "/"
    prefix = f"{plan_id}-draw-"

    def named(path: str) -> int | None:
        """n of a file named "<plan>-draw-<n>.yaml" in the draws folder (0: no number), else None."""
        name = path.replace(os.sep, "/")
        if not (name.startswith(folder) and name[len(folder):].startswith(prefix)):
            return None
        tail = name[len(folder) + len(prefix):].split(".", 1)[0]
        return int(tail) if tail.isdigit() else 0

    found: dict[str, int] = {}
    for record in checked.records:
        if record.kind == "draw" and not checked.is_valid(record) and isinstance(record.data, dict) \
                and record.data.get("plan") == plan_id:  # its id may be the broken part: its name counts too
            found[record.path] = max(draw_number(record), named(record.path) or 0)
    for problem in checked.errors:
        number = named(problem.path)
        if number is not None:
            found[problem.path] = max(found.get(problem.path, 0), number)
    return sorted((number, path) for path, number in found.items())
