#!/usr/bin/env python3
"""Makes examples/roster.xlsx from examples/roster.csv: a sheet per form, as
units fill it in Excel — phone numbers and 群号 typed as numbers, dates typed
as dates (day counts), text as shared strings. Run from the repository root:

    python3 examples/make_roster_xlsx.py
"""
import csv
import datetime
import io
import zipfile

rows = list(csv.reader(open("examples/roster.csv", encoding="utf-8")))
head = rows[0]
ACCOUNT = ["申请单位名称", "新媒体类型", "帐号用户名", "账号id", "是否认证", "开通时间",
           "平台是否设有交互栏目", "交互栏目是否有管理员审核", "第一责任人·姓名", "第一责任人·职务",
           "第一责任人·手机", "第一责任人·办公电话", "第一责任人·邮箱", "管理员·姓名", "管理员·职务",
           "管理员·手机", "管理员·办公电话", "管理员·邮箱"]
GROUP = ["申请单位名称", "群类型", "群名称", "群号", "是否认证", "开通时间", "第一责任人·姓名",
         "第一责任人·职务", "第一责任人·手机", "第一责任人·办公电话", "第一责任人·邮箱", "管理员·姓名",
         "管理员·职务", "管理员·手机", "管理员·办公电话", "管理员·邮箱"]


def columns(table, keep):
    idx = [head.index(k) for k in keep]
    return [keep] + [[r[j] for j in idx] for r in table]


sheets = [
    ("新媒体帐号", columns([r for r in rows[1:] if r[0] == "附件1"], ACCOUNT)),
    ("QQ群、微博群", columns([r for r in rows[1:] if r[0] == "附件2"], GROUP)),
    ("填写说明", [["每行一个帐号或群；表头是表格上印的名称；手机、群号可直接输入数字"]]),
]
shared = []


def string_index(s):
    if s not in shared:
        shared.append(s)
    return shared.index(s)


def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def column_name(c):
    name, c = "", c + 1
    while c:
        c, r = divmod(c - 1, 26)
        name = chr(65 + r) + name
    return name


XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
parts = {}
for n, (name, table) in enumerate(sheets, 1):
    x = [f'{XML}<worksheet xmlns="{MAIN}"><sheetData>']
    for r, row in enumerate(table, 1):
        x.append(f'<row r="{r}">')
        for c, v in enumerate(row):
            if not v:
                continue
            ref = f"{column_name(c)}{r}"
            if v.isdigit() and len(v) >= 9:  # a phone number or 群号, typed as a number
                x.append(f'<c r="{ref}"><v>{v}</v></c>')
            elif len(v) == 10 and v[4] == "-" and v[7] == "-":  # a date, typed as a date
                days = (datetime.date.fromisoformat(v) - datetime.date(1899, 12, 30)).days
                x.append(f'<c r="{ref}"><v>{days}</v></c>')
            else:
                x.append(f'<c r="{ref}" t="s"><v>{string_index(v)}</v></c>')
        x.append("</row>")
    x.append("</sheetData></worksheet>")
    parts[f"xl/worksheets/sheet{n}.xml"] = "".join(x)
parts["xl/sharedStrings.xml"] = (
    f'{XML}<sst xmlns="{MAIN}">' + "".join(f"<si><t>{esc(s)}</t></si>" for s in shared) + "</sst>")
parts["xl/workbook.xml"] = (
    f'{XML}<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>'
    + "".join(f'<sheet name="{esc(nm)}" sheetId="{i}" r:id="rId{i}"/>' for i, (nm, _) in enumerate(sheets, 1))
    + "</sheets></workbook>")
parts["xl/_rels/workbook.xml.rels"] = (
    f'{XML}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    + "".join(f'<Relationship Id="rId{i}" Type="{REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
              for i in range(1, len(sheets) + 1))
    + f'<Relationship Id="rId{len(sheets) + 1}" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
    + "</Relationships>")
parts["_rels/.rels"] = (
    f'{XML}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
SHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml"
parts["[Content_Types].xml"] = (
    f'{XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{SHEET}.sheet.main+xml"/>'
    + "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{SHEET}.worksheet+xml"/>'
              for i in range(1, len(sheets) + 1))
    + f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SHEET}.sharedStrings+xml"/></Types>')
order = ["[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
         "xl/sharedStrings.xml"] + [f"xl/worksheets/sheet{i}.xml" for i in range(1, len(sheets) + 1)]
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
    for name in order:
        info = zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        z.writestr(info, parts[name])
open("examples/roster.xlsx", "wb").write(buf.getvalue())
