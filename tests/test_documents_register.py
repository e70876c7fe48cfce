"""The complaint register as JSON, CSV, Excel and PDF against a data set counted by hand, its
filters, the buttons that carry them, and who may have it.

Five complaints are written straight into the tables with the dates that decide each column
(received, resolved, promised reply, closed, quality record complete):

| complaint | received (Berlin)     | investigated | resolved      | promised | row says |
| E minor   | 03-01 00:30           | yes          | -             | 2027-01  | open     |
| A major   | 03-02 10:00           | yes          | 03-06 (4.0 d) | 03-10    | on time  |
| B crit.   | 03-05 11:00, 王秀英    | no (run dry) | 03-12 (7.0 d) | 03-09    | late     |
| C minor   | 03-20 09:00, =HYPER.. | pending      | -             | 03-25    | late     |
| D praise  | 04-01                 | -            | -             | -        | (April)  |

A is also closed and its quality record complete.

March (from=2026-03-01&to=2026-04-01, company days): E, A, B, C; E was received on 28 February
in UTC, so only the company's time zone puts it in March.
"""

import csv
import io
import re
import subprocess
from datetime import UTC, datetime
from typing import Any

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from models.case import CaseFile
from models.complaint import Complaint
from models.customer import Customer
from models.enums import Channel, Kind, ProcessKind, Severity, Status
from models.resolution import Resolution
from tests.support import Api
from tests.test_documents_dossier import embedded_fonts
from tests.test_web_pages import Browser
from workflow import db
from workflow.clock import utcnow

MARCH = "from=2026-03-01&to=2026-04-01"
CHINESE = "王秀英"
FORMULA = '=HYPERLINK("http://attacker.example","click")'
RUN_DRY = "Run dry, outside its specification."
EXPECTED_TOTALS = {
    "complaints": 4,
    "investigated": 2,
    "not_investigated": 1,
    "resolved": 2,
    "closed": 1,
    "on_time": 1,
    "late": 2,
    "quality_record_complete": 1,
    "mean_days_to_resolve": 5.5,
}


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


COMPLAINTS: list[dict[str, Any]] = [
    {
        "reference": "CMP-2026-000101",  # A
        "customer": ("Jane Miller", "Acme GmbH"),
        "product": "Pump P-200",
        "lot_number": "L-A",
        "severity": Severity.major,
        "status": Status.closed,
        "received_at": _at("2026-03-02 09:00"),
        "resolved_at": _at("2026-03-06 09:00"),
        "reply_due_at": _at("2026-03-10 16:00"),
        "closed_at": _at("2026-03-08 12:00"),
        "quality_record_complete_at": _at("2026-03-20 12:00"),
        "investigate": True,
    },
    {
        "reference": "CMP-2026-000102",  # B
        "customer": (CHINESE, "上海泵业"),
        "product": "Valve V-10",
        "lot_number": "L-B",
        "severity": Severity.critical,
        "status": Status.resolved,
        "received_at": _at("2026-03-05 10:00"),
        "resolved_at": _at("2026-03-12 10:00"),
        "reply_due_at": _at("2026-03-09 16:00"),
        "investigate": False,
    },
    {
        "reference": "CMP-2026-000103",  # C
        "customer": (FORMULA, None),
        "product": "Pump P-200",
        "lot_number": None,
        "severity": Severity.minor,
        "status": Status.with_quality,
        "received_at": _at("2026-03-20 08:00"),
        "reply_due_at": _at("2026-03-25 16:00"),
    },
    {
        "reference": "CMP-2026-000104",  # D
        "customer": ("Bob Praise", None),
        "product": "Service",
        "kind": Kind.praise,
        "status": Status.closed,
        "received_at": _at("2026-04-01 08:00"),
        "closed_at": _at("2026-04-01 08:01"),
    },
    {
        "reference": "CMP-2026-000105",  # E
        "customer": ("Eve Early", "Acme GmbH"),
        "product": "Pump P-300",
        "lot_number": "L-E",
        "status": Status.with_sales,
        "received_at": _at("2026-02-28 23:30"),
        "reply_due_at": _at("2027-01-01 16:00"),
        "investigate": True,
    },
]
MARCH_ORDER = ["CMP-2026-000105", "CMP-2026-000101", "CMP-2026-000102", "CMP-2026-000103"]


def _insert_data_set() -> None:
    now = utcnow()
    with db.write_session() as session:
        for item in COMPLAINTS:
            name, company = item["customer"]
            customer = Customer(name=name, company=company, phone="+49 30 1", created_at=now)
            session.add(customer)
            session.flush()
            fields = {k: v for k, v in item.items() if k not in ("customer", "investigate")}
            case = CaseFile(process=ProcessKind.complaint, created_at=now)
            session.add(case)
            session.flush()
            complaint = Complaint(
                id=case.id,
                **{"kind": Kind.complaint, "severity": Severity.minor, **fields},
                channel=Channel.phone,
                description="As told on the phone.",
                customer_id=customer.id or 0,
                received_by_id=1,
                created_at=item["received_at"],
                updated_at=now,
            )
            session.add(complaint)
            session.flush()
            if "investigate" in item:
                session.add(
                    Resolution(
                        complaint_id=complaint.id or 0,
                        revision=1,
                        valid=True,
                        severity=complaint.severity,
                        investigate=item["investigate"],
                        no_investigation_reason=None if item["investigate"] else RUN_DRY,
                        decided_by="quality",
                        decided_at=item["received_at"],
                        customer_summary="Summary.",
                    )
                )
        session.commit()


@pytest.fixture
def data_set(settings) -> None:
    _insert_data_set()


def test_the_registers_rows_and_totals_match_the_hand_count(data_set, as_user):
    answer = as_user("quality").get(f"/register?{MARCH}")
    assert answer.status_code == 200, answer.text
    register = answer.json()
    rows = {r["reference"]: r for r in register["rows"]}
    assert [r["reference"] for r in register["rows"]] == MARCH_ORDER
    assert register["totals"] == EXPECTED_TOTALS
    a, b, c, e = (rows[f"CMP-2026-0001{n}"] for n in ("01", "02", "03", "05"))
    assert (a["investigated"], a["days_to_resolve"], a["on_time"]) == ("yes", 4.0, "on time")
    assert a["customer"] == "Jane Miller (Acme GmbH)"
    assert a["quality_record_complete_at"] is not None
    assert (b["investigated"], b["not_investigated_because"]) == ("no", RUN_DRY)
    assert (b["days_to_resolve"], b["on_time"], b["closed_at"]) == (7.0, "late", None)
    assert (c["investigated"], c["on_time"], c["lot_number"]) == ("pending", "late", None)
    assert (e["investigated"], e["on_time"]) == ("yes", "open")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kind=praise", ["CMP-2026-000104"]),
        ("status=closed", ["CMP-2026-000101", "CMP-2026-000104"]),
        ("product=valve", ["CMP-2026-000102"]),
        ("customer=acme", ["CMP-2026-000105", "CMP-2026-000101"]),
        (f"customer={CHINESE}", ["CMP-2026-000102"]),
        ("from=2026-04-01", ["CMP-2026-000104"]),
        ("to=2026-03-01", []),
    ],
)
def test_the_register_filters(data_set, as_user, query, expected):
    answer = as_user("manager").get(f"/register?{query}")
    assert answer.status_code == 200, answer.text
    assert [r["reference"] for r in answer.json()["rows"]] == expected


def test_the_csv_register_has_the_rows_and_the_totals_line(data_set, as_user):
    answer = as_user("sales").get(f"/register?{MARCH}", headers={"Accept": "text/csv"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    assert ".csv" in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [r["Reference"] for r in rows] == [*MARCH_ORDER, "Total"]
    by_reference = {r["Reference"]: r for r in rows}
    a = by_reference["CMP-2026-000101"]
    assert a["Received"] == "2026-03-02 10:00 CET"
    assert (a["Resolved"], a["Closed"], a["Days to resolve"]) == ("2026-03-06", "2026-03-08", "4.0")
    assert (a["On time"], a["Quality record complete"]) == ("on time", "2026-03-20")
    assert by_reference["CMP-2026-000105"]["Received"] == "2026-03-01 00:30 CET"
    assert by_reference["CMP-2026-000102"]["Why not investigated"] == RUN_DRY
    assert by_reference["CMP-2026-000103"]["Customer"] == "'" + FORMULA  # never a formula
    total = by_reference["Total"]
    assert total["Received"] == "4 complaints"
    assert total["Investigated"] == "2 yes, 1 no"
    assert (total["Resolved"], total["Closed"], total["Days to resolve"]) == ("2", "1", "5.5")
    assert total["On time"] == "1 on time, 2 late"
    assert total["Quality record complete"] == "1"


def test_the_excel_register_reads_back_with_the_rows_and_the_totals_line(data_set, as_user):
    answer = as_user("gm").get(f"/register?{MARCH}&format=xlsx")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(answer.content)).active
    assert sheet is not None
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert str(values[0][0]).startswith("Complaint register: received from 2026-03-01")
    assert str(values[1][0]).startswith("Generated ")
    assert str(values[1][0]).endswith(" by gm")
    headings = values[3]
    assert list(headings[:3]) == ["Reference", "Received", "Customer"]
    rows = [dict(zip(headings, row, strict=True)) for row in values[4:]]
    assert [r["Reference"] for r in rows] == [*MARCH_ORDER, "Total"]
    by_reference = {r["Reference"]: r for r in rows}
    assert by_reference["CMP-2026-000101"]["Days to resolve"] == 4
    assert by_reference["CMP-2026-000102"]["Customer"] == f"{CHINESE} (上海泵业)"
    formula_cell = next(c for c in sheet["C"] if c.value and str(c.value).startswith("=HYPER"))
    assert formula_cell.data_type == "s"  # text, never evaluated
    total = by_reference["Total"]
    assert (total["Received"], total["Investigated"]) == ("4 complaints", "2 yes, 1 no")
    assert (total["Resolved"], total["Closed"], total["Days to resolve"]) == (2, 1, 5.5)
    assert total["On time"] == "1 on time, 2 late"
    assert total["Quality record complete"] == 1


def _pdf_text(pdf: bytes) -> tuple[PdfReader, str]:
    """pdftotext (poppler, from `make pdf`): pypdf cannot read fpdf2's CJK font encoding."""
    words = subprocess.run(
        ["pdftotext", "-raw", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    return PdfReader(io.BytesIO(pdf)), words


def test_the_pdf_register_holds_every_row_the_totals_and_the_chinese_name(data_set, as_user):
    answer = as_user("admin").get(f"/register?{MARCH}", headers={"Accept": "application/pdf"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    reader, words = _pdf_text(answer.content)
    flat = re.sub(r"\s+", " ", words)
    squeezed = re.sub(r"\s+", "", words)
    for reference in MARCH_ORDER:
        assert reference in flat
    assert "CMP-2026-000104" not in flat
    assert "Total 4 complaints" in flat
    assert re.sub(r"\s+", "", "2 yes, 1 no") in squeezed
    assert re.sub(r"\s+", "", "1 on time, 2 late") in squeezed
    assert CHINESE in squeezed
    assert RUN_DRY.replace(" ", "") in squeezed
    assert "by admin" in flat
    assert f"page 1 of {len(reader.pages)}" in flat
    fonts = embedded_fonts(reader)
    assert any("NotoSansCJK" in name for name in fonts), fonts


@pytest.mark.parametrize("username", ["technical"])
def test_the_register_is_refused_to_department_workers(data_set, as_user, username):
    answer = as_user(username).get(f"/register?{MARCH}&format=csv")
    assert answer.status_code == 403
    assert "read register" in answer.json()["detail"]


@pytest.mark.parametrize(
    ("query", "field"),
    [("from=2026-04-01&to=2026-03-01", "to"), ("format=docx", "format"), ("from=0", "from")],
)
def test_a_bad_register_query_is_a_422_naming_the_field(settings, as_user, query, field):
    answer = as_user("manager").get(f"/register?{query}")
    assert answer.status_code == 422, answer.text
    assert field in answer.text


def test_the_buttons_carry_the_filters_and_download_from_the_pages(data_set, base_url):
    manager = Browser(base_url)
    technical = Browser(base_url)
    try:
        assert manager.sign_in("manager").status_code == 303
        search = manager.client.get("/complaints?status=closed")
        assert 'href="/register?status=closed&amp;format=xlsx"' in search.text
        dashboard = manager.client.get("/dashboard")
        assert 'action="/register"' in dashboard.text
        download = manager.client.get("/register?status=closed&format=csv")
        assert download.status_code == 200
        lines = download.text.splitlines()
        assert [line.split(",")[0] for line in lines[1:]] == [
            "CMP-2026-000101",
            "CMP-2026-000104",
            "Total",
        ]
        page = manager.client.get("/complaints/CMP-2026-000101")
        assert 'href="/complaints/CMP-2026-000101/dossier.pdf"' in page.text
        dossier = manager.client.get("/complaints/CMP-2026-000101/dossier.pdf")
        assert dossier.status_code == 200
        assert dossier.content.startswith(b"%PDF")
        assert technical.sign_in("technical").status_code == 303
        assert "/register?" not in technical.client.get("/complaints?status=closed").text
        assert technical.client.get("/register?format=pdf").status_code == 403
    finally:
        manager.client.close()
        technical.client.close()


HOSTILE_QUERY_VALUES = ["%ED%A0%80", "%F0%9F", "%5Cud800", "1e400", "1" + "0" * 300, "%01%1F"]


@pytest.mark.parametrize("value", HOSTILE_QUERY_VALUES)
def test_hostile_query_values_never_break_the_register(data_set, base_url, value):
    """Each filter fed broken text, numbers JSON cannot hold and control characters, through
    the API and the page: a register (PDF) or a 422, never a server error."""
    manager, api = Browser(base_url), Api(base_url, "manager")
    try:
        assert manager.sign_in("manager").status_code == 303
        for name in ("from", "to", "kind", "status", "product", "customer", "format"):
            query = f"{name}={value}&format=pdf" if name != "format" else f"format={value}"
            answer = api.get(f"/register?{query}")
            assert answer.status_code in (200, 422), (name, answer.text[:500])
            page = manager.client.get(f"/register?{query}")
            assert page.status_code in (200, 422), (name, page.text[:500])
    finally:
        manager.client.close()
        api.close()
