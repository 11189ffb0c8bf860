"""Generate schemas/*.schema.json (JSON Schema 2020-12) for every record kind.

The JSON files are committed and are what docgen reads; this script is how they were
written. Every field carries a Chinese `title` and `description`: clerks see them in
error messages and in their editor. Offices may edit the JSON copies in their archive
(for example to extend an enumeration); re-running this script overwrites schemas/.
Only standard keywords are written, so that strict validators (ajv in strict mode) accept the
schemas; the hints docgen adds to pattern errors are in docgen.records.schema.PATTERN_HINTS.
"""

from __future__ import annotations

import json
import pathlib

OUT = pathlib.Path(__file__).resolve().parent.parent / "schemas"
COMMON = "common.schema.json#/$defs/"
ID_PATTERN = "^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"


def ref(name: str, title: str, description: str) -> dict:
    return {"$ref": COMMON + name, "title": title, "description": description}


def text(title: str, description: str, **extra) -> dict:
    return {"type": "string", "minLength": 1, "title": title, "description": description, **extra}


def texts(title: str, description: str, **extra) -> dict:
    return {"type": "array", "items": {"type": "string", "minLength": 1, "title": title,
                                       "description": description},
            "title": title, "description": description, **extra}


def obj(title: str, description: str, properties: dict, required=(), **extra) -> dict:
    schema = {"type": "object", "title": title, "description": description,
              "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = list(required)
    schema.update(extra)
    return schema


def array(title: str, description: str, items: dict, **extra) -> dict:
    return {"type": "array", "title": title, "description": description, "items": items, **extra}


def record(kind: str, title: str, description: str, properties: dict, required) -> dict:
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema"}
    schema.update(obj(title, description, properties, required))
    return schema


RESULTS = ["未发现问题", "发现问题已责令改正", "发现问题待后续处理", "未发现开展本次抽查涉及的经营活动",
           "不配合检查情节严重", "通过登记的住所（经营场所）无法联系", "已关闭停业或正在组织清算",
           "检查对象已注销", "检查对象已被吊销", "检查对象已被撤销", "检查对象已迁出",
           "未按规定公示应当公示的信息", "公示信息隐瞒真实情况弄虚作假", "违反〔部门〕相关规定"]
MEASURES = ["无需后续处置", "反馈日常监管部门依法处理", "责令改正", "移送办案机构（案件线索）",
            "抄告相关部门", "其他"]
METHODS = ["实地检查", "书面检查", "网络监测", "检验检测", "委托专业机构辅助", "行政部门检查结果或专业意见"]

common = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "公共定义",
    "description": "各类记录共用的字段定义",
    "$defs": {
        "id": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$",
               "title": "编号", "description": "记录编号，也是文件名：字母、数字、“-”或“_”，不超过 64 个字符"},
        "date": {"type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
                 "title": "日期", "description": "日期，格式 YYYY-MM-DD，如 2023-10-30"},
        "datetime": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}( [0-9]{1,2}:[0-9]{2})?$",
                     "title": "时间", "description": "日期和时间，格式 YYYY-MM-DD HH:MM，如 2023-10-31 09:30"},
        "phone": {"type": "string", "pattern": "^[0-9+（(][0-9 ()（）+-]{2,29}(转[0-9]{1,6})?$",
                  "title": "电话", "description": "电话号码，如 0315-7665600 或 13800000000"},
        "credit_class": {"type": "string", "enum": ["A", "B", "C", "D"],
                         "title": "信用风险分类", "description": "企业信用风险分类：A（低风险）、B、C、D（高风险）"},
        "result": {"type": "string", "enum": RESULTS, "title": "抽查结果",
                   "description": "抽查结果（国家企业信用信息公示系统和省级监管平台的口径，可在本档案的 schemas 中扩充）。"
                                  "一个部门可同时有几项结果（如 发现问题已责令改正 和 未按规定公示应当公示的信息）；"
                                  "“未发现问题”不能与发现问题的结果同时选；主体无法检查的结果（无法联系、已注销等）只能单独选。"
                                  "“违反〔部门〕相关规定”印作“违反教育部门相关规定”：〔部门〕换成该部门记录的「行业领域」（sector），"
                                  "没写时换成部门名称"},
        "measure": {"type": "string", "enum": MEASURES, "title": "后续处置措施",
                    "description": "后续处置措施（可在本档案的 schemas 中扩充）"},
        "method": {"type": "string", "enum": METHODS, "title": "检查方式",
                   "description": "检查方式（可在本档案的 schemas 中扩充）"},
        "percent": {"type": "number", "minimum": 0, "maximum": 100, "title": "比例（%）",
                    "description": "百分比数值，如 3 表示 3%"},
        "days": {"type": "integer", "minimum": 0, "maximum": 366, "title": "工作日数",
                 "description": "期限，单位为工作日"},
    },
}

section_item = obj("小节", "带（一）（二）编号的小节", {
    "number": text("编号", "小节编号照原文书写，如 （一） 或 (一)；不写时按顺序编为（一）（二）……"),
    "heading": text("小节标题", "小节标题，不写编号，如 加强组织领导"),
    "inline": {"type": "boolean", "title": "标题与正文同段",
               "description": "true：标题后加“。”与正文排在同一段，如 （一）加强组织领导。……；false：标题单独成行。"
                              "不写时，只有一段正文的小节与正文同段"},
    "text": texts("小节正文", "小节正文，每项一段"),
    "owner": text("责任单位", "完成该项任务的责任单位"),
    "deadline": text("完成时限", "完成时限，如 全年、长期推进"),
}, required=["heading"])

section = obj("章节", "实施方案中带一、二、编号的章节", {
    "number": text("编号", "章节编号照原文书写，如 一、；不写时按顺序编为一、二、……"),
    "heading": text("章节标题", "章节标题，不写编号，如 工作要求"),
    "paragraphs": texts("段落", "章节开头的正文段落，每项一段"),
    "items": array("小节", "带（一）（二）编号的小节", section_item),
    "from_list": {"type": "boolean", "title": "取自抽查事项清单",
                  "description": "true：本章节（如 抽查内容）的小节由 docgen 按计划选取的抽查事项生成，每个部门一节："
                                 "该部门的抽查内容说明，以及每个事项的名称、一般 / 重点、检查依据、检查方式和比例或频次，"
                                 "都取自各部门的抽查事项清单；这时不写 items"},
}, required=["heading"])

plan = record("plan", "抽查计划", "一次联合抽查或一份年度工作方案：通知、实施方案及各附件的依据", {
    "$schema": {"type": "string", "title": "模式", "description": "编辑器使用的 JSON Schema 地址（可省略）"},
    "id": ref("id", "计划编号", "计划编号，也是文件名，如 qa-2023-30"),
    "type": {"type": "string", "enum": ["联合抽查", "年度方案"], "title": "计划类型",
             "description": "联合抽查：生成全部七个附件；年度方案：只生成通知和方案正文"},
    "header": text("版头", "发文机关标志，照原文书写，如 迁安市“双随机一公开”工作领导小组办公室文件；"
                         "排在一行内，过长时自动压缩字宽"),
    "header_bodies": texts("联合行文机关", "联合行文时版头上下排列的各发文机关名称（主办机关在前），"
                                     "“文件”二字（见 header_suffix）排在其右侧、上下居中；写了本项时不用 header",
                           minItems=2),
    "header_suffix": text("版头后缀", "联合行文版头右侧的字，默认“文件”"),
    "doc_number": text("发文字号", "发文字号，年份用六角括号，如 迁双随机办〔2023〕30号",
                       pattern="^.+〔[0-9]{4}〕[0-9]+号$"),
    "issuer": text("发文机关", "发文机关名称（多个机关联合发文时每行一个），用于告知书等处；"
                             "通知落款见 signers"),
    "issue_date": ref("date", "成文日期", "成文日期，如 2023-10-30；原文没有日期时不写，文书中留空"),
    "signers": texts("落款", "通知落款的发文机关署名，照原文书写，每行一个；不写则不排落款。"
                            "写了成文日期时排在署名下方"),
    "title": text("标题", "通知标题，如 关于开展迁安市2023年度跨部门“双随机、一公开”联合抽查的通知。"
                        "需要在特定位置换行时分行书写（YAML 的 |- 写法），文书按所写的行排版；"
                        "只写一行时，过长的标题在词语之间自动换行"),
    "disclosure": text("公开属性", "公开属性，如 主动公开"),
    "recipients": {"title": "主送机关",
                   "description": "主送机关：写成列表时每项一个，文书中用“、”连接并加“：”；"
                                  "写成一段文字时照原文排印（含标点），如 各学区中心校，民办校（园），机关相关科室：",
                   "oneOf": [texts("主送机关", "主送机关，每项一个", minItems=1),
                             text("主送机关", "主送机关原文，含标点")]},
    "body": texts("正文", "通知正文，每项一段", minItems=1),
    "contacts": obj("联系方式", "通知中的联系人", {
        "names": texts("联系人", "联系人姓名，每项一人", minItems=1),
        "phone": ref("phone", "联系电话", "联系电话"),
        "email": text("电子邮箱", "电子邮箱", pattern="^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$"),
    }, required=["names"]),
    "attachments": texts("附件", "附件说明中的附件名称，按顺序每项一个，照原文书写（如 《公示表》）；"
                                 "原文没有附件说明时不写"),
    "colophon": obj("版记", "版记：抄送机关、印发机关和印发日期，排在最后一页下端；原文没有版记时不写", {
        "cc": texts("抄送机关", "抄送机关，每项一个"),
        "printer": text("印发机关", "印发机关名称，如 迁安市“双随机”工作领导小组办公室"),
        "date": ref("date", "印发日期", "印发日期；不写时留空待填"),
    }, required=["printer"]),
    "scheme": obj("实施方案", "附件1 实施方案的标题、前言和章节", {
        "title": text("方案标题", "实施方案标题；需要在特定位置换行时分行书写（YAML 的 |- 写法）"),
        "preamble": texts("前言", "方案开头的段落，每项一段"),
        "sections": array("章节", "方案的全部章节，照原文书写（一、抽查时间 …… 六、工作要求）；"
                                  "文书只印这里写的文字", section),
    }, required=["title"]),
    "period": obj("抽查时间", "抽查实施的起止日期", {
        "start": ref("date", "开始日期", "抽查开始日期"),
        "end": ref("date", "结束日期", "抽查结束日期"),
    }, required=["start", "end"]),
    "scope": obj("抽查对象", "抽查对象范围和名录库筛选条件", {
        "description": text("范围说明", "抽查对象范围的文字说明"),
        "entity_types": texts("主体类型", "纳入抽查的主体类型；不写表示不限"),
        "statuses": texts("登记状态", "纳入抽查的登记状态；不写表示只抽“存续”"),
    }, required=["description"]),
    "ratios": obj("抽查比例", "按信用风险分类设定的抽查比例（%）", {
        c: ref("percent", f"{c}类比例", f"信用风险分类为 {c} 的主体抽查比例（%）") for c in "ABCD"
    }),
    "ratio_floor": ref("percent", "最低比例", "各类抽查比例的下限（%），默认 3"),
    "ratio_note": text("比例说明", "抽查比例的文字说明（备查，实施方案的文字写在 scheme.sections 中）"),
    "check_type": text("抽查类型", "公示表中的抽查类型，如 跨部门联合双随机抽查"),
    "credit_driven": {"type": "boolean", "title": "运用信用风险分类", "default": True,
                      "description": "本次抽查是否运用企业信用风险分类结果（计入“信用风险分类抽查占比”）；"
                                     "不写时为 true（docgen 按信用风险分类的比例抽取）"},
    "lead_department": ref("id", "牵头部门", "牵头部门的编号"),
    "departments": array("实施部门", "参与抽查的部门及其抽查事项（含牵头部门）", obj(
        "实施部门", "一个参与部门", {
            "department": ref("id", "部门", "部门编号，对应 departments 中的记录"),
            "content": text("抽查内容", "该部门抽查内容的文字说明（备查，实施方案的文字写在 scheme.sections 中）"),
            "items": texts("抽查事项", "从该部门的抽查事项清单（records/items/<部门编号>.yaml）中选取的事项编号，每项一个；"
                                       "告知书、实地核查记录表中的事项名称和检查依据取自清单", minItems=1),
            "qualification": text("所需资格", "被抽取执法人员须具备的资格；不写表示不限"),
        }, required=["department", "items"])),
    "yearly_cap": {"type": "integer", "minimum": 1, "maximum": 12, "title": "每年检查次数上限",
                   "description": "同一检查对象在一个自然年度内（各计划合计）最多被检查的次数；随机抽取时不抽已达上限的对象，"
                                  "并在抽取记录中列出。只计抽查时间在本计划之前开始的计划（年份按计划的开始日期）。不写表示不限"},
    "assistants": array("协助人员", "选派协助检查的专业人员（不是执法人员，不计入每组每部门人数），按检查组填写；"
                                    "印入告知书、实地核查记录表和人员分组表", obj("协助人员", "一名协助检查的专业人员", {
        "group": {"type": "integer", "minimum": 1, "title": "组别", "description": "协助的检查组组号"},
        "name": text("姓名", "协助人员姓名"),
        "unit": text("单位", "协助人员所在单位，如 迁安市消防技术服务中心"),
        "speciality": text("专业", "协助的专业领域，如 消防设施检测"),
        "department": ref("id", "选派部门", "选派该人员的部门编号"),
    }, required=["group", "name", "unit"])),
    "groups": {"type": "integer", "minimum": 1, "title": "检查组数",
               "description": "随机抽取时组成的联合检查组数量；不写则按各部门可抽人数尽量多组"},
    "inspectors_per_department": {"type": "integer", "minimum": 1, "maximum": 10, "title": "每组每部门人数",
                                  "description": "每个检查组中每个部门派出的执法人员人数，默认 2"},
    "deadlines": obj("工作时限", "以工作日计的各项时限", {
        "confirmation": ref("days", "确认时限", "协同单位确认被检查对象的时限（工作日），默认 2"),
        "results_entry": ref("days", "结果录入时限", "检查完成后录入结果的时限（工作日），默认 3"),
        "disclosure": ref("days", "结果公示时限", "检查完成后公示结果的时限（工作日），默认 20"),
    }),
    "draw_date": ref("date", "抽取日期", "随机抽取被检查对象并派发给各参与部门的日期；协同单位确认名单的期限从这天起算"),
    "confirmations": {"type": "object", "title": "协同单位确认",
                      "description": "各协同单位（牵头部门以外的参与部门）确认随机抽取的被检查对象名单的日期：部门编号: 日期，"
                                     "如 gaj: '2023-11-01'。应在抽取后「确认时限」个工作日内确认（逾期确认是错误，"
                                     "未确认且已过期限是警告），docgen status 列出各部门的确认情况",
                      "propertyNames": {"pattern": ID_PATTERN},
                      "additionalProperties": ref("date", "确认日期", "该部门确认被检查对象名单的日期")},
    "notice": obj("告知书", "附件2 告知书的内容", {
        "title": text("告知书标题", "告知书标题"),
        "legal_basis": text("检查依据", "告知书中的检查依据"),
        "materials": texts("需准备材料", "被检查对象需准备的材料，每项一个"),
        "contact": obj("联系人", "告知书上的联系人", {
            "name": text("姓名", "联系人姓名"),
            "phone": ref("phone", "电话", "联系电话"),
        }, required=["name"]),
        "phone_content": text("电话告知内容", "电话告知时说明的内容，写入电话告知记录表"),
        "task_source": text("任务来源", "告知书中的检查任务来源；不写时印作“《计划标题》（发文字号）”"),
        "frequency": text("检查频次", "告知书中的检查频次说明，如 本年度对你单位的第1次检查；"
                                    "不写时按「每年检查次数上限」（yearly_cap）说明，都没有时按抽查事项清单的比例或频次说明"),
        "reconsideration": text("行政复议机关", "告知书中受理行政复议申请的机关，如 迁安市人民政府"),
        "court": text("人民法院", "告知书中受理行政诉讼的人民法院，如 迁安市人民法院"),
    }),
    "goals": texts("工作目标", "年度方案的量化目标说明（可选）"),
}, ["id", "type", "doc_number", "issuer", "title", "recipients", "body"])
JOINT_REQUIRED = ["period", "scope", "departments", "lead_department"]
plan["allOf"] = [{
    "if": {"properties": {"type": {"const": "联合抽查"}}},
    # ajv's strictRequired wants what is required here named in "properties" beside it: the
    # fields are defined above, these entries only repeat their names
    "then": {"properties": {name: {key: plan["properties"][name][key] for key in ("title", "description")}
                            for name in JOINT_REQUIRED}, "required": JOINT_REQUIRED},
}]

inspector = obj("执法人员", "执法人员名录库中的一人", {
    "id": ref("id", "人员编号", "执法人员编号，全系统唯一，如 jyj-01"),
    "name": text("姓名", "执法人员姓名"),
    "badge": text("执法证号", "行政执法证件号码"),
    "badge_valid_until": ref("date", "执法证有效期至", "行政执法证件有效期的最后一天；证件在计划结束前到期的人员不被抽取，"
                                                   "已到期仍被安排检查是错误。不写表示未登记有效期（不核对）"),
    "phone": ref("phone", "电话", "执法人员手机号码（不会出现在公示表中）"),
    "qualifications": texts("资格", "执法资格或专业领域，每项一个"),
    "conflicts": array("回避对象", "需要回避的主体编号（有利害关系的主体），每项一个",
                       ref("id", "回避对象", "需要回避的主体编号")),
    "active": {"type": "boolean", "title": "在岗", "description": "是否在岗可被抽取；不写表示在岗"},
}, required=["id", "name", "badge"])

department = record("department", "部门", "一个参与抽查的部门：执法人员名录库和车辆", {
    "$schema": {"type": "string", "title": "模式", "description": "编辑器使用的 JSON Schema 地址（可省略）"},
    "id": ref("id", "部门编号", "部门编号，也是文件名，如 jyj"),
    "name": text("部门名称", "部门全称，如 迁安市教育局"),
    "sector": text("行业领域", "部门主管的行业领域，如 教育、公安、消防；抽查结果“违反〔部门〕相关规定”印作“违反教育部门相关规定”"),
    "inspectors": array("执法人员", "执法人员名录库", inspector, minItems=1),
    "vehicles": array("车辆", "可安排的车辆", obj("车辆", "一辆车", {
        "plate": text("车牌号", "车牌号，如 冀B·A1234"),
        "driver": text("驾驶员", "驾驶员姓名"),
        "phone": ref("phone", "驾驶员电话", "驾驶员电话"),
    }, required=["plate", "driver"])),
}, ["id", "name", "inspectors"])

entity = record("entity", "检查对象", "检查对象名录库中的一个市场主体", {
    "$schema": {"type": "string", "title": "模式", "description": "编辑器使用的 JSON Schema 地址（可省略）"},
    "id": ref("id", "主体编号", "主体编号，也是文件名，如 org-001"),
    "name": text("企业名称", "主体名称（以营业执照或办学许可证为准）"),
    "credit_code": {"type": "string", "pattern": "^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$",
                    "title": "统一社会信用代码",
                    "description": "18 位统一社会信用代码（GB 32100-2015），字母大写，不含 I、O、Z、S、V"},
    "type": text("主体类型", "主体类型，如 校外培训机构"),
    "address": text("住所", "登记住所（经营场所）"),
    "legal_rep": text("法定代表人", "法定代表人（负责人）姓名"),
    "contact": obj("联系人", "日常联系人", {
        "name": text("联系人", "联系人姓名"),
        "phone": ref("phone", "联系电话", "联系电话"),
    }, required=["name", "phone"]),
    "credit_class": ref("credit_class", "信用风险分类", "企业信用风险分类：A、B、C、D"),
    "licence": obj("许可证", "办学许可证等行政许可", {
        "number": text("许可证号", "许可证编号"),
        "valid_until": ref("date", "有效期至", "许可证有效期截止日期"),
    }, required=["number"]),
    "status": {"type": "string", "enum": ["存续", "停业", "注销", "吊销", "撤销", "迁出"],
               "title": "登记状态", "description": "登记状态：存续、停业、注销、吊销、撤销、迁出"},
    "note": text("备注", "备注"),
}, ["id", "name", "credit_code", "type", "address", "legal_rep", "credit_class", "status"])

follow_up = obj("后续处置", "一项发现问题的后续处置", {
    "issue": text("发现问题", "发现的问题"),
    "measure": ref("measure", "处置措施", "后续处置措施"),
    "department": ref("id", "检查部门", "发现问题的部门编号"),
    "deadline": ref("date", "处置期限", "整改或处置的截止日期"),
    "responsible": text("责任人", "负责跟进处置的人员"),
    "status": {"type": "string", "enum": ["待处置", "处置中", "已完结"], "title": "完结情况",
               "description": "待处置、处置中或已完结"},
    "outcome": text("处置结果", "处置结果"),
    "closed": ref("date", "完结日期", "处置完结的日期"),
    "transfer": text("移送抄告", "移送或抄告的机构"),
    "note": text("备注", "备注"),
}, required=["issue", "measure", "status"])

department_part = obj("部门检查情况", "一个部门在本次联合检查中的检查事项、结果和办理情况", {
    "items": array("检查事项", "本部门的检查事项及发现问题情况", obj("检查事项", "一个检查事项", {
        "item": text("检查事项", "检查事项"),
        "finding": text("发现问题情况", "发现问题情况；没有问题时写 未发现问题"),
        "handling": text("处置情况", "处置情况，如 无、当场责令改正"),
    }, required=["item"])),
    "results": array("抽查结果", "本部门的抽查结果，可有几项（见公共定义中抽查结果的说明）；"
                              "选了“未发现问题”时各检查事项的发现问题情况只能是 未发现问题",
                     ref("result", "抽查结果", "本部门的一项抽查结果"), minItems=1, uniqueItems=True),
    "completed": ref("date", "检查完成日期", "本部门完成检查的日期（公示表的检查完成日期），录入、公示期限从这天起算"),
    "entered": ref("date", "结果录入日期", "本部门将抽查结果录入监管平台的日期"),
    "approval": obj("审核批准", "本部门经办领导对抽查结果的审核批准；未经批准的结果不公示、不列入公示表", {
        "reviewer": text("审核人", "批准公示的经办领导姓名"),
        "date": ref("date", "批准日期", "批准公示的日期"),
    }, required=["reviewer", "date"]),
    "disclosed": ref("date", "结果公示日期", "本部门抽查结果向社会公示的日期"),
    "signatures": array("检查人员签名", "本部门检查人员在实地核查记录表上的签名", obj("签名", "一名检查人员的签名", {
        "inspector": ref("id", "检查人员", "签名的执法人员编号（应是本部门的检查人员）"),
        "date": ref("date", "签名日期", "签名日期"),
    }, required=["inspector"])),
    "note": text("备注", "备注"),
})

inspection = record("inspection", "抽查记录", "对一个检查对象的一次联合检查（“一企一表”）", {
    "$schema": {"type": "string", "title": "模式", "description": "编辑器使用的 JSON Schema 地址（可省略）"},
    "plan": ref("id", "抽查计划", "所属抽查计划的编号"),
    "entity": ref("id", "检查对象", "检查对象（主体）的编号"),
    "draw": text("抽取批次", "产生本记录的随机抽取记录编号（由 docgen draw 写入）；"
                 "platform 表示由省级平台抽取、用 docgen import task 导入"),
    "task_number": text("平台任务编号", "省级监管平台派发的检查任务编号（由 docgen import task 写入）"),
    "group": {"type": "integer", "minimum": 1, "title": "组别", "description": "联合检查组的组号"},
    "leader": ref("id", "组长", "组长的执法人员编号"),
    "inspectors": {"type": "object", "title": "检查人员",
                   "description": "按部门列出的检查人员编号：部门编号: [人员编号, …]",
                   "propertyNames": {"pattern": "^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"},
                   "additionalProperties": array("检查人员", "该部门的检查人员编号",
                                                 ref("id", "人员编号", "执法人员编号"), minItems=1)},
    "vehicle": text("车牌号", "本组使用车辆的车牌号"),
    "credit_driven": {"type": "boolean", "title": "运用信用风险分类",
                      "description": "本次检查是否运用信用风险分类抽取；不写则随计划"},
    "dates": obj("日期", "各环节日期", {
        "phone_notice": ref("date", "电话告知日期", "电话告知的日期"),
        "notice_served": ref("date", "告知书送达日期", "告知书送达的日期"),
        "visit": ref("date", "检查日期", "联合检查组实地检查的日期；各部门的完成、录入、审核、公示日期写在 departments 中"),
    }),
    "phone_notice": obj("电话告知", "电话告知情况", {
        "time": ref("datetime", "告知时间", "电话告知的时间"),
        "caller": text("告知人", "打电话的人员姓名"),
        "reached": text("接听人", "接听电话的人员姓名"),
        "phone": ref("phone", "拨打号码", "实际拨打的号码；不写则为主体联系电话"),
        "outcome": text("告知结果", "告知结果，如 已告知并确认检查时间"),
        "note": text("备注", "备注"),
    }, required=["time", "caller", "reached"]),
    "departments": {"type": "object", "title": "各部门检查情况",
                    "description": "“谁检查、谁录入、谁公示”：每个参与部门一项，部门编号: {检查事项、抽查结果、完成、录入、审核、"
                                   "公示日期和本部门检查人员签名}。各部门的结果分别录入、分别经本部门领导审核批准后公示，"
                                   "公示表中每个部门单独一行",
                    "propertyNames": {"pattern": ID_PATTERN},
                    "additionalProperties": department_part},
    "methods": array("检查方式", "本次采用的检查方式", ref("method", "检查方式", "检查方式"), uniqueItems=True),
    "opinion": text("被检查单位意见", "被检查单位对检查结果的意见"),
    "signature": obj("签字确认", "法定代表人或负责人签字盖章确认", {
        "signer": text("签字人", "签字（盖章）人姓名"),
        "date": ref("date", "签字日期", "签字日期"),
    }, required=["signer", "date"]),
    "refusal": text("拒签记录", "被检查对象拒绝签字时如实记录的情况"),
    "follow_ups": array("后续处置", "发现问题的后续处置", follow_up),
    "note": text("备注", "备注"),
}, ["plan", "entity"])

LEVELS = ["一般", "重点"]

check_item = obj("抽查事项", "抽查事项清单中的一项", {
    "id": ref("id", "事项编号", "事项编号，计划中按编号选取，如 jyj-1；清单内不重复"),
    "name": text("事项名称", "抽查事项名称，印入告知书和实地核查记录表，如 从业人员资质"),
    "level": {"type": "string", "enum": LEVELS, "title": "事项类别",
              "description": "一般检查事项或重点检查事项"},
    "basis": text("检查依据", "法律、法规、规章依据，如 《民办教育促进法》第四十一条"),
    "methods": array("检查方式", "该事项的检查方式", ref("method", "检查方式", "检查方式"), uniqueItems=True),
    "frequency": text("比例或频次", "抽查比例或频次，如 不低于3%、每年1次"),
    "qualification": text("所需资格", "检查该事项的执法人员须具备的资格（与执法人员的「资格」一致），如 消防监督；"
                                     "不写表示不限。随机抽取只抽具备本部门所选事项全部资格的人员"),
    "note": text("备注", "备注"),
}, required=["id", "name", "level"])

item_list = record("items", "抽查事项清单", "一个部门的随机抽查事项清单（“一单两库一指引”中的“一单”）", {
    "$schema": {"type": "string", "title": "模式", "description": "编辑器使用的 JSON Schema 地址（可省略）"},
    "id": ref("id", "部门编号", "清单所属部门的编号（与 records/departments/ 中的部门相同），也是文件名，如 jyj"),
    "updated": ref("date", "更新日期", "清单最近一次调整的日期"),
    "items": array("抽查事项", "本部门的抽查事项", check_item, minItems=1),
}, ["id", "items"])


def file_hashes(title: str, description: str) -> dict:
    return {"type": "object", "title": title, "description": description, "propertyNames": {"pattern": ID_PATTERN},
            "additionalProperties": {"type": "string", "pattern": "^[0-9a-f]{64}$", "title": "SHA-256",
                                     "description": "文件内容的 SHA-256 十六进制摘要"}}


draw = record("draw", "随机抽取记录", "docgen draw 写入的抽取记录，用于公开复核；请勿手工修改", {
    "$schema": {"type": "string", "title": "模式", "description": "编辑器使用的 JSON Schema 地址（可省略）"},
    "id": ref("id", "抽取编号", "抽取记录编号"),
    "plan": ref("id", "抽查计划", "抽查计划编号"),
    "seed": text("随机种子", "事先公布的随机种子文本"),
    "algorithm": text("算法版本", "抽取算法版本"),
    "digests": {"type": "object", "title": "输入摘要", "description": "抽取所依据的计划和名录库内容的 SHA-256 摘要",
                "additionalProperties": {"type": "string", "title": "摘要", "description": "SHA-256 十六进制摘要"}},
    "population": {"type": "object", "title": "名录库数量", "description": "各信用分类在范围内的主体数量",
                   "additionalProperties": {"type": "integer", "title": "数量", "description": "主体数量"}},
    "drawn": {"type": "object", "title": "抽取数量", "description": "各信用分类抽取的主体数量",
              "additionalProperties": {"type": "integer", "title": "数量", "description": "主体数量"}},
    "entities": array("抽中主体", "抽中的主体编号，按抽取顺序", ref("id", "主体编号", "主体编号")),
    "groups": array("检查组", "各检查组", obj("检查组", "一个检查组", {
        "group": {"type": "integer", "minimum": 1, "title": "组别", "description": "检查组的组号"},
        "leader": ref("id", "组长", "组长的执法人员编号"),
        "inspectors": {"type": "object", "title": "检查人员", "description": "按部门列出的本组执法人员编号",
                       "propertyNames": {"pattern": ID_PATTERN},
                       "additionalProperties": array("检查人员", "该部门的执法人员编号",
                                                     ref("id", "人员编号", "执法人员编号"), minItems=1)},
        "vehicle": text("车牌号", "本组使用车辆的车牌号"),
        "entities": array("检查对象", "分到本组的主体编号", ref("id", "主体编号", "主体编号")),
    }, required=["group", "leader", "inspectors", "entities"])),
    "substitutions": array("回避替换", "因回避而替换的检查人员", obj("回避替换", "一次替换", {
        "entity": ref("id", "检查对象", "需要回避的主体编号"),
        "department": ref("id", "部门", "部门编号"),
        "replaced": ref("id", "被替换人员", "须回避的执法人员编号"),
        "by": ref("id", "替换人员", "代替其检查的执法人员编号"),
    }, required=["entity", "department", "replaced", "by"])),
    "replaces": ref("id", "取代的抽取", "被本次重新抽取取代的抽取记录编号"),
    "capped": array("已达检查上限", "本年度检查次数已达计划上限、未参加抽取的主体编号",
                    ref("id", "主体编号", "主体编号")),
    "expired": array("执法证到期", "执法证在计划结束前到期、未参加抽取的执法人员", obj("执法证到期", "一名未参加抽取的执法人员", {
        "department": ref("id", "部门", "部门编号"),
        "inspector": ref("id", "执法人员", "执法人员编号"),
        "valid_until": ref("date", "有效期至", "执法证有效期的最后一天"),
    }, required=["department", "inspector", "valid_until"])),
    # present only while the draw writes its inspection records (docs/draw-algorithm.md, section 7)
    "status": {"type": "string", "enum": ["in-progress"], "title": "抽取状态",
               "description": "in-progress：抽取尚未完成（被中断时用 docgen draw 计划 --resume 完成或 --rollback 撤销）"},
    "writes": file_hashes("待写入的抽查记录", "本次抽取将写入的抽查记录：主体编号: 文件内容的 SHA-256"),
    "removes": file_hashes("待删除的抽查记录", "重新抽取将删除的原抽取未填写的抽查记录：主体编号: 文件内容的 SHA-256"),
}, ["id", "plan", "seed", "algorithm", "digests", "entities", "groups"])

calendar = record("calendar", "工作日历", "某一年的法定节假日和调休上班日（补充或修正内置日历）", {
    "$schema": {"type": "string", "title": "模式", "description": "编辑器使用的 JSON Schema 地址（可省略）"},
    "year": {"type": "integer", "minimum": 2000, "maximum": 2100, "title": "年份", "description": "日历年份"},
    "holidays": array("放假日期", "放假的日期（含因节日放假的工作日）", ref("date", "放假日期", "放假的日期")),
    "workdays": array("调休上班日", "因调休需要上班的周末日期", ref("date", "调休上班日", "调休上班的日期")),
    "complete": {"type": "boolean", "title": "完整日历",
                 "description": "true 表示本文件列出了该年全部节假日，可用于内置日历尚无数据的年份"},
    "source": text("依据", "日历依据，如 国务院办公厅关于2027年部分节假日安排的通知"),
}, ["year"])


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for name, schema in [("common", common), ("plan", plan), ("department", department), ("entity", entity),
                         ("inspection", inspection), ("draw", draw), ("calendar", calendar),
                         ("items", item_list)]:
        path = OUT / f"{name}.schema.json"
        path.write_text(json.dumps(schema, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print(path)


if __name__ == "__main__":
    main()
