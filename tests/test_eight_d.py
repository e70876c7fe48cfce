"""The complaint file arranged as an 8D report, over real HTTP, from a record built the way
people build it (intake, quality's assessment and containment, the result, sales' approval,
the customer's acceptance, actions opened and worked through the API); only the
effectiveness check's verdict, 60 days on, is written straight to the database."""

import io
import re

from pypdf import PdfReader
from sqlmodel import select

from models.complaint import Complaint
from models.enums import Verdict
from models.quality import EffectivenessCheck
from tests.capa_support import complete_action, open_action, production_user
from tests.support import Api, drain_outbox, first_assessment, quality_result
from tests.test_web_pages import browser  # noqa: F401  (the signed-in page client)
from workflow.db import write_session


def _closed_complaint(base_url: str) -> str:
    sales, quality = Api(base_url, "sales"), Api(base_url, "quality")
    reference = sales.log_complaint(description="Seal of pump P-200 leaks at 6 bar.")["reference"]
    drain_outbox()
    task = quality.open_task(reference, "quality_assessment")
    assessed = quality.post(f"/tasks/{task['id']}/assessment", json=first_assessment())
    assert assessed.status_code == 200, assessed.text
    contained = quality.post(
        f"/tasks/{task['id']}/containment", json={"containment": "Lot L-2026-114 blocked."}
    )
    assert contained.status_code == 200, contained.text
    done = quality.post(f"/tasks/{task['id']}/complete", json=quality_result())
    assert done.status_code == 200, done.text
    drain_outbox()
    review = sales.open_task(reference, "sales_review")
    approved = sales.post(
        f"/tasks/{review['id']}/complete", json={"kind": "sales_review", "approved": True}
    )
    assert approved.status_code == 200, approved.text
    drain_outbox()
    accepted = sales.post(f"/complaints/{reference}/customer-response", json={"accepted": True})
    assert accepted.status_code == 200, accepted.text
    return reference


def _add_quality_loop(base_url: str, reference: str) -> None:
    """Actions of every kind opened by quality and worked by production (one cancelled),
    then an effective check as the sweep and quality would record it 60 days on."""
    quality, production = Api(base_url, "quality"), production_user(base_url)
    contain = open_action(
        quality, reference, kind="containment", description="Sort stock at the warehouse"
    )
    complete_action(production, contain, evidence="Sorted: 14 pumps held")
    fix = open_action(quality, reference, description="Reject supplier batch S-88")
    redesign = open_action(quality, reference, description="Re-design the seal groove")
    prevent = open_action(
        quality, reference, kind="preventive", description="Hardness test at incoming"
    )
    assert prevent["status"] == "open"
    cancelled = quality.post(
        f"/actions/{redesign['id']}/cancel", json={"reason": "Batch rejection is enough"}
    )
    assert cancelled.status_code == 200, cancelled.text
    complete_action(production, fix, evidence="Return note RN-4411")
    with write_session() as session:
        complaint = session.exec(select(Complaint).where(Complaint.reference == reference)).one()
        check = session.exec(
            select(EffectivenessCheck).where(EffectivenessCheck.complaint_id == complaint.id)
        ).one()  # scheduled when the last corrective action of the round was done
        check.verdict = Verdict.effective
        check.reasoning = "No leak reported since the batch was rejected."
        check.decided_by, check.decided_at = "quality", check.scheduled_for
        complaint.quality_record_complete_at = check.scheduled_for
        session.add_all([check, complaint])
        session.commit()


def test_a_complete_record_reads_as_an_8d_report_section_by_section(base_url):
    reference = _closed_complaint(base_url)
    _add_quality_loop(base_url, reference)
    answer = Api(base_url, "technical").get(f"/complaints/{reference}/8d")
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["reference"] == reference
    assert report["customer"] == "Jane Miller, Acme"

    d0 = report["d0_symptom"]
    assert d0["symptom"] == "Seal of pump P-200 leaks at 6 bar."
    assert d0["severity"] == "major"
    assert d0["emergency_response"] == [
        "Lot L-2026-114 blocked.",  # the containment quality recorded on its task
        "Stock of lot L-2026-114 blocked.",  # and the one in its result
        "Sort stock at the warehouse (production, done)",
    ]

    team = {m["name"]: m for m in report["d1_team"]}
    assert set(team) == {"sales", "quality", "petra"}  # the flows are not people
    assert team["quality"]["department"] == "quality"
    assert "first assessment recorded" in team["quality"]["contributions"]
    assert "approve result" in team["sales"]["contributions"]

    d2 = report["d2_problem"]
    assert d2["customer_words"] == d0["symptom"]
    assert (d2["product"], d2["lot_number"], d2["quantity_affected"]) == (
        "Pump P-200",
        "L-2026-114",
        12,
    )
    assert (d2["valid"], d2["investigated"], d2["assessed_by"]) == (True, True, "quality")
    assert d2["defect_code"] == {"code": "LK-SEAL", "label": "Seal leak", "group": "leak"}

    assert report["d3_containment"]["recorded"] == [
        "Lot L-2026-114 blocked.",
        "Stock of lot L-2026-114 blocked.",
    ]
    assert [a["description"] for a in report["d3_containment"]["actions"]] == [
        "Sort stock at the warehouse"
    ]
    d4 = report["d4_root_cause"]
    assert d4["root_cause"] == quality_result()["root_cause"]
    assert d4["cause_code"] == {
        "code": "MAT-BTCH",
        "label": "Faulty raw-material batch",
        "group": "material",
    }

    d5 = report["d5_corrective_actions"]
    assert d5["planned"] == quality_result()["corrective_action"]
    # The cancelled action is no part of the plan.
    assert [a["description"] for a in d5["actions"]] == ["Reject supplier batch S-88"]
    d6 = report["d6_implemented_and_verified"]
    assert [(a["description"], a["evidence"]) for a in d6["implemented"]] == [
        ("Reject supplier batch S-88", "Return note RN-4411")
    ]
    assert [c["verdict"] for c in d6["effectiveness_checks"]] == ["effective"]
    d7 = report["d7_preventive_actions"]
    assert [(a["description"], a["status"]) for a in d7["actions"]] == [
        ("Hardness test at incoming", "open")
    ]

    d8 = report["d8_closure"]
    assert d8["customer_told"] == quality_result()["customer_summary"]
    assert (d8["approved_by"], d8["customer_accepted"]) == ("sales", True)
    assert d8["closed_at"] is not None
    assert d8["quality_record_complete"] is True


def test_a_new_complaint_has_only_its_symptom_and_problem_filled_in(base_url):
    sales = Api(base_url, "sales")
    reference = sales.log_complaint(severity="critical")["reference"]
    report = sales.get(f"/complaints/{reference}/8d").json()
    assert report["d0_symptom"]["severity"] == "critical"
    assert report["d0_symptom"]["emergency_response"] == []
    assert report["d2_problem"]["valid"] is None
    assert report["d2_problem"]["defect_code"] is None
    assert report["d4_root_cause"] == {"root_cause": None, "cause_code": None}
    assert report["d5_corrective_actions"] == {"planned": None, "actions": []}
    assert report["d8_closure"]["quality_record_complete"] is False
    assert [m["name"] for m in report["d1_team"]] == ["sales"]


def test_the_8d_report_is_for_signed_in_staff_and_names_an_unknown_reference(base_url):
    assert Api(base_url).get("/complaints/CMP-2026-000001/8d").status_code == 401
    missing = Api(base_url, "quality").get("/complaints/CMP-1999-000042/8d")
    assert missing.status_code == 404
    assert "CMP-1999-000042" in missing.text


def test_the_complaint_page_shows_the_8d_section(base_url, browser):  # noqa: F811
    reference = _closed_complaint(base_url)
    _add_quality_loop(base_url, reference)
    page = browser("manager").client.get(f"/complaints/{reference}")
    assert page.status_code == 200
    section = page.text[page.text.index('id="eight-d"') :]
    for expected in (
        "D0 Symptom and emergency response",
        "LK-SEAL Seal leak (leak)",
        "Reject supplier batch S-88",
        "Return note RN-4411",
        "<strong>effective</strong>",
        "D8 Closure",
    ):
        assert expected in section, expected


def _pdf_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def test_the_8d_pdf_is_the_customers_form_without_internal_notes(base_url, browser):  # noqa: F811
    reference = _closed_complaint(base_url)
    _add_quality_loop(base_url, reference)
    answer = Api(base_url, "quality").get(f"/complaints/{reference}/8d.pdf")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    text = _pdf_text(answer.content)
    for expected in (
        f"8D report {reference}",
        "Example Manufacturing",  # the company's name (CW_COMPANY_NAME)
        "Jane Miller, Acme",
        "PO-7781",  # the customer's order
        *(f"D{n} " for n in range(9)),
        "LK-SEAL Seal leak",
        "MAT-BTCH Faulty raw-material batch",
        "Reject supplier batch S-88",
        "Return note RN-4411",
        "Effectiveness check 1: effective",
        quality_result()["customer_summary"],
    ):
        assert expected in text, expected
    for internal in ("approve result", "History", "notice", "Re-design the seal groove"):
        assert internal not in text, internal  # no history, no notices, no cancelled plans

    page = browser("sales").client.get(f"/complaints/{reference}")
    assert f'href="/complaints/{reference}/8d.pdf"' in page.text
    from_page = browser("sales").client.get(f"/complaints/{reference}/8d.pdf")
    assert from_page.status_code == 200
    assert from_page.content.startswith(b"%PDF")
    assert Api(base_url).get(f"/complaints/{reference}/8d.pdf").status_code == 401
