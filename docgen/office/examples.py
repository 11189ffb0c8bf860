"""The commented example records `docgen init` writes into a new archive (all fictional)."""

from __future__ import annotations

PLAN = {
    "id": "example-plan", "type": "联合抽查",
    "header": "××市“双随机一公开”工作领导小组办公室文件", "doc_number": "××双随机办〔2025〕1号",
    "issuer": "××市“双随机”工作领导小组办公室", "issue_date": "2025-03-03",
    "title": "关于开展2025年度跨部门“双随机、一公开”联合抽查的通知（示例）",
    "recipients": ["××市教育局", "××市消防救援大队"],
    "body": ["（示例）为推进“双随机、一公开”监管，决定开展跨部门联合抽查。现将实施方案印发你们，请认真抓好落实。"],
    "contacts": {"names": ["张三（示例）"], "phone": "0315-0000000", "email": "example@example.com"},
    "attachments": ["《联合抽查实施方案》", "《告知书》样本", "《随机抽查后续处置工作台账》", "《实地核查记录表》",
                    "《电话告知记录表》", "《人员分组及车辆安排情况表》", "《公示表》"],
    "colophon": {"printer": "××市“双随机”工作领导小组办公室", "date": "2025-03-03"},
    "scheme": {"title": "2025年跨部门“双随机、一公开”\n联合抽查实施方案（示例）",
               "preamble": ["为加强事中事后监管，制定本方案。"],
               "sections": [
                   {"heading": "抽查时间", "paragraphs": ["2025年4月1日至2025年4月30日"]},
                   {"heading": "抽查对象及比例", "items": [
                       {"heading": "抽查对象范围", "inline": False, "text": ["对全市有证备案的校外培训机构进行双随机抽查。"]},
                       {"heading": "抽查比例", "inline": False, "text": ["按企业信用风险分类，各类均不低于3%。"]}]},
                   {"heading": "抽查实施部门", "paragraphs": ["××市教育局（示例）。"]},
                   {"heading": "工作要求", "items": [
                       {"heading": "加强组织领导", "text": ["各部门要高度重视，落实责任。"]}]}]},
    "period": {"start": "2025-04-01", "end": "2025-04-30"},
    "scope": {"description": "对全市有证备案的校外培训机构进行双随机抽查。", "entity_types": ["校外培训机构"]},
    "ratios": {"A": 3, "B": 5, "C": 10, "D": 20},
    "lead_department": "example-dept",
    "departments": [{"department": "example-dept", "content": "对从业人员资质等进行监督抽查。",
                     "items": ["example-dept-1", "example-dept-2"]}],
    "yearly_cap": 1,
    "check_type": "跨部门联合双随机抽查",
    "assistants": [{"group": 1, "name": "周九（示例）", "unit": "××市消防设施检测中心（示例）",
                    "speciality": "消防设施检测", "department": "example-dept"}],
    "inspectors_per_department": 2,
    "deadlines": {"results_entry": 3, "disclosure": 20},
    "notice": {"phone_content": "告知抽查事项、检查时间和需准备的材料", "reconsideration": "××市人民政府（示例）",
               "court": "××市人民法院（示例）"},
}
DEPARTMENT = {
    "id": "example-dept", "name": "××市教育局（示例）",
    "inspectors": [
        {"id": "example-dept-01", "name": "李四（示例）", "badge": "13000000000001", "badge_valid_until": "2035-12-31",
         "phone": "13800000001", "qualifications": ["校外培训监管"]},
        {"id": "example-dept-02", "name": "王五（示例）", "badge": "13000000000002", "badge_valid_until": "2035-12-31",
         "phone": "13800000002", "qualifications": ["校外培训监管"], "conflicts": []},
    ],
    "vehicles": [{"plate": "冀B·00001", "driver": "赵六（示例）", "phone": "13800000003"}],
}
ITEMS = {
    "id": "example-dept", "updated": "2025-03-01",
    "items": [
        {"id": "example-dept-1", "name": "从业人员资质", "level": "重点", "basis": "《中华人民共和国教师法》第十条",
         "methods": ["书面检查", "实地检查"], "frequency": "按信用风险分类确定抽查比例，不低于3%",
         "qualification": "校外培训监管"},
        {"id": "example-dept-2", "name": "消防安全", "level": "一般", "basis": "《中华人民共和国消防法》第十六条",
         "methods": ["实地检查"], "frequency": "每年1次", "qualification": "校外培训监管"},
    ],
}
ENTITY = {
    "id": "example-org", "name": "××市示例培训学校有限公司（示例）", "credit_code": "91130000MA0000000R",
    "type": "校外培训机构", "address": "××市××路1号", "legal_rep": "钱七（示例）",
    "contact": {"name": "孙八（示例）", "phone": "13800000004"}, "credit_class": "B", "status": "存续",
}
INSPECTION = {
    "plan": "example-plan", "entity": "example-org", "group": 1, "leader": "example-dept-01",
    "inspectors": {"example-dept": ["example-dept-01", "example-dept-02"]}, "vehicle": "冀B·00001",
}
EXAMPLES = {"plan": PLAN, "department": DEPARTMENT, "items": ITEMS, "entity": ENTITY, "inspection": INSPECTION}


def leftover_examples(checked, plan_id: str) -> list[str]:
    """Notes on the records `docgen init` made as examples, still there when a plan of the office's own is
    drawn: the example entity is drawn like a real one, the example department's inspectors assigned."""
    if plan_id == PLAN["id"]:
        return []
    index = checked.index
    found = []
    plan = index.plans.get(plan_id)
    entity = index.entities.get(ENTITY["id"]) if index.exists("entity", ENTITY["id"]) else None
    if entity is not None and (plan is None or index.in_scope(plan.data, entity.data)):  # drawn only when in scope
        found.append(f"records/entities/{ENTITY['id']}.yaml（{ENTITY['name']}）")
    if plan is not None and DEPARTMENT["id"] in index.plan_department_ids(plan.data):
        found.append(f"records/departments/{DEPARTMENT['id']}.yaml（{DEPARTMENT['name']}）")
    return [f"提示：{what} 是 docgen init 建立的示例记录，会和真实记录一样参加本次抽取；正式抽取前请删除它，"
            "或改为本单位的记录" for what in found]
