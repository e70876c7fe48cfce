"""The complaint file arranged as an 8D report, over real HTTP, from a record built the way
people build it (intake, quality's assessment and containment, the result, sales' approval,
the customer's acceptance), with actions and an effectiveness check in the database."""

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from models.complaint import Complaint
from models.enums import ActionKind, ActionStatus, CauseCategory, Department, Verdict
from models.quality import CapaAction, CauseCode, DefectCode, EffectivenessCheck
from tests.support import Api, drain_outbox, quality_result
from tests.test_web_pages import browser  # noqa: F401  (the signed-in page client)
from workflow.db import write_session

T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)


def _closed_complaint(base_url: str) -> str:
    sales, quality = Api(base_url, "sales"), Api(base_url, "quality")
    reference = sales.log_complaint(description="Seal of pump P-200 leaks at 6 bar.")["reference"]
    drain_outbox()
    task = quality.open_task(reference, "quality_assessment")
    assessed = quality.post(
        f"/tasks/{task['id']}/assessment",
        json={"valid": True, "investigate": True, "severity": "major"},
    )
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


def _action(complaint_id: int, kind: ActionKind, description: str, **fields) -> CapaAction:
    values = {
        "owner_department": Department.production,
        "due_at": T0 + timedelta(days=10),
        "created_by": "quality",
        "created_at": T0,
        **fields,
    }
    return CapaAction(complaint_id=complaint_id, kind=kind, description=description, **values)


def _add_quality_loop(reference: str) -> None:
    """Codes, actions (one of each kind, one cancelled) and an effective check."""
    with write_session() as session:
        complaint = session.exec(select(Complaint).where(Complaint.reference == reference)).one()
        assert complaint.id is not None
        defect = DefectCode(code="T-LK-SEAL", family="Leak", label="Seal leak", created_at=T0)
        cause = CauseCode(
            code="T-MAT-SUP",
            category=CauseCategory.material,
            label="Supplier material out of specification",
            created_at=T0,
        )
        session.add_all([defect, cause])
        session.flush()
        complaint.defect_code_id, complaint.cause_code_id = defect.id, cause.id
        complaint.quality_record_complete_at = T0 + timedelta(days=70)
        closed = {"status": ActionStatus.done, "closed_by": "production", "closed_at": T0}
        session.add_all(
            [
                complaint,
                _action(
                    complaint.id, ActionKind.containment, "Sort stock at the warehouse", **closed
                ),
                _action(
                    complaint.id,
                    ActionKind.corrective,
                    "Reject supplier batch S-88",
                    evidence="Return note RN-4411",
                    **closed,
                ),
                _action(
                    complaint.id,
                    ActionKind.corrective,
                    "Re-design the seal groove",
                    status=ActionStatus.cancelled,
                    cancel_reason="Batch rejection is enough",
                ),
                _action(complaint.id, ActionKind.preventive, "Hardness test at incoming"),
                EffectivenessCheck(
                    complaint_id=complaint.id,
                    round=1,
                    actions_closed_at=T0,
                    scheduled_for=T0 + timedelta(days=60),
                    verdict=Verdict.effective,
                    reasoning="No leak reported since the batch was rejected.",
                    recurrences=[],
                    decided_by="quality",
                    decided_at=T0 + timedelta(days=70),
                    created_at=T0,
                ),
            ]
        )
        session.commit()


def test_a_complete_record_reads_as_an_8d_report_section_by_section(base_url):
    reference = _closed_complaint(base_url)
    _add_quality_loop(reference)
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
    assert set(team) == {"sales", "quality"}  # the flows are not people
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
    assert d2["defect_code"] == {"code": "T-LK-SEAL", "label": "Seal leak", "group": "Leak"}

    assert report["d3_containment"]["recorded"] == [
        "Lot L-2026-114 blocked.",
        "Stock of lot L-2026-114 blocked.",
    ]
    assert [a["description"] for a in report["d3_containment"]["actions"]] == [
        "Sort stock at the warehouse"
    ]
    d4 = report["d4_root_cause"]
    assert d4["root_cause"] == quality_result()["root_cause"]
    assert d4["cause_code"]["group"] == "material"

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
    _add_quality_loop(reference)
    page = browser("manager").client.get(f"/complaints/{reference}")
    assert page.status_code == 200
    section = page.text[page.text.index('id="eight-d"') :]
    for expected in (
        "D0 Symptom and emergency response",
        "T-LK-SEAL Seal leak (Leak)",
        "Reject supplier batch S-88",
        "Return note RN-4411",
        "<strong>effective</strong>",
        "D8 Closure",
    ):
        assert expected in section, expected
