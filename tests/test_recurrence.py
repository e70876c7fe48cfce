"""Related complaints and recurrence: earlier complaints that look like the same problem are
linked when a complaint comes in and again at quality's first assessment; a product's defect
that keeps coming back alerts the quality managers once per cluster."""

import re
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import col, select

from models.complaint import Complaint
from models.history import HistoryEntry
from models.notification import NoticeKind, Notification
from models.quality import ComplaintLink, DefectCode, Product, RecurrenceAlert
from tests.support import drain_outbox
from tests.test_web_pages import Browser
from workflow import recurrence
from workflow.clock import utcnow
from workflow.dashboard import dashboard
from workflow.db import get_engine, is_sqlite, read_session, write_session

# A known data set: (product, lot, description). Expected links are below.
DATA_SET = {
    "seal": ("Pump P-200", "L-1", "Seal leaks after two hours of operation."),
    "same_lot": ("pump  p-200", "l-1", "Housing cracked during transport."),
    "seal_again": ("Valve V-10", "L-9", "The seal leaks after 2 hours of running."),
    "invoice": ("Motor M-5", "L-7", "Invoice address is wrong on the delivery note."),
    "display": ("Pump P-200", "L-2", "Display shows wrong pressure reading."),
    "other_lot_text": ("Fan F-1", "L-1", "Blade broke off at full speed."),
}
# Coded complaints get words unlike each other's, so they link by product and defect only.
DISTINCT = (
    "Seal leaks at the flange.",
    "Motor hums but does not turn.",
    "Paint peels off the housing.",
    "Display shows no digits.",
    "Cable insulation melted.",
    "Bearing noise at low speed.",
    "Screws missing in the box.",
    "Label printed upside down.",
)
EXPECTED_LINKS = {
    ("same_lot", "seal", "same_product_lot", 1.0),
    ("seal_again", "seal", "similar_text", None),  # score: the similarity
}


def _log_data_set(sales: Any) -> dict[str, str]:
    references = {}
    for name, (product, lot, description) in DATA_SET.items():
        created = sales.log_complaint(product=product, lot_number=lot, description=description)
        references[name] = created["reference"]
    drain_outbox()
    return references


def _links() -> list[ComplaintLink]:
    with read_session() as session:
        return list(session.exec(select(ComplaintLink).order_by(col(ComplaintLink.id))).all())


def _references_by_id() -> dict[int, str]:
    with read_session() as session:
        rows = session.exec(select(Complaint.id, Complaint.reference)).all()
        return {i: reference for i, reference in rows if i is not None}


def test_a_known_data_set_gives_exactly_the_expected_links_and_none_for_unrelated(as_user):
    references = _log_data_set(as_user("sales"))
    names = {ref: name for name, ref in references.items()}
    by_id = _references_by_id()
    found = {
        (names[by_id[x.complaint_id]], names[by_id[x.related_id]], x.reason.value, x.score)
        for x in _links()
    }
    text_score = next(s for a, b, r, s in found if r == "similar_text")
    assert found == {(a, b, r, s if s is not None else text_score) for a, b, r, s in EXPECTED_LINKS}
    assert 0.6 <= text_score < 1.0
    assert all(x.status.value == "suggested" for x in _links())

    quality = as_user("quality")
    record = quality.record(references["same_lot"])
    assert [(r["reference"], r["reason"], r["score"]) for r in record["related"]] == [
        (references["seal"], "same_product_lot", 1.0)
    ]
    found_entry = [h for h in record["history"] if h["action"] == "related_found"]
    assert len(found_entry) == 1
    assert found_entry[0]["actor"] == "recurrence-detection"
    both_ways = quality.get(f"/complaints/{references['seal']}/related").json()
    assert {r["reference"] for r in both_ways} == {references["same_lot"], references["seal_again"]}
    for unrelated in ("invoice", "display", "other_lot_text"):
        assert quality.get(f"/complaints/{references[unrelated]}/related").json() == []


def test_the_same_lot_is_looked_up_by_index_not_by_reading_every_complaint(as_user):
    engine = get_engine()
    if not is_sqlite(str(engine.url)):
        pytest.skip("PostgreSQL rightly scans tables this small; the plan is checked on SQLite")
    reference = as_user("sales").log_complaint(lot_number=" L-1 ")["reference"]
    with read_session() as session:
        complaint = session.exec(select(Complaint).where(Complaint.reference == reference)).one()
        query = recurrence.same_lot_query(complaint, "l-1")
        sql = str(query.compile(engine, compile_kwargs={"literal_binds": True}))
        plan = [row[-1] for row in session.connection().execute(text(f"EXPLAIN QUERY PLAN {sql}"))]
    assert any("USING INDEX ix_complaint_lot_key" in step for step in plan), plan
    assert not any(step.startswith("SCAN complaint") for step in plan), plan


def test_the_detection_run_again_finds_its_links_already_there(as_user):
    references = _log_data_set(as_user("sales"))
    before = [(x.complaint_id, x.related_id, x.reason) for x in _links()]
    with write_session() as session:
        for reference in references.values():
            complaint = session.exec(
                select(Complaint).where(Complaint.reference == reference)
            ).one()
            assert recurrence.find_related(session, complaint) == []
        session.commit()
    assert [(x.complaint_id, x.related_id, x.reason) for x in _links()] == before
    with read_session() as session:
        entries = session.exec(
            select(HistoryEntry).where(HistoryEntry.action == "related_found")
        ).all()
    assert len(entries) == 2


def _catalogue(part_number: str, defect_code: str) -> tuple[int, int]:
    with write_session() as session:
        product = Product(
            part_number=part_number,
            name=f"Pump {part_number}",
            family="pumps",
            created_at=utcnow(),
            updated_at=utcnow(),
        )
        defect = session.exec(select(DefectCode).where(DefectCode.code == defect_code)).first()
        if defect is None:
            defect = DefectCode(
                code=defect_code, family="leak", label=f"Defect {defect_code}", created_at=utcnow()
            )
        session.add_all([product, defect])
        session.commit()
        assert product.id is not None
        assert defect.id is not None
        return product.id, defect.id


def _coded_complaint(sales: Any, quality: Any, product_defect: tuple[int, int], n: int) -> str:
    """A complaint on the product (mapped directly here), quality's first assessment
    recording the defect code."""
    reference = sales.log_complaint(
        product=f"Item {product_defect[0]}",
        lot_number=f"LOT-{product_defect[0]}-{n}",
        description=DISTINCT[n - 1],
    )["reference"]
    drain_outbox()
    with write_session() as session:
        complaint = session.exec(select(Complaint).where(Complaint.reference == reference)).one()
        complaint.product_id = product_defect[0]
        session.add(complaint)
        session.commit()
        defect = session.get(DefectCode, product_defect[1])
        assert defect is not None
    task = quality.open_task(reference, "quality_assessment")
    assessed = quality.post(
        f"/tasks/{task['id']}/assessment",
        json={"valid": True, "investigate": True, "defect_code": defect.code},
    )
    assert assessed.status_code == 200, assessed.text
    return reference


def _alerts() -> list[RecurrenceAlert]:
    with read_session() as session:
        return list(session.exec(select(RecurrenceAlert).order_by(col(RecurrenceAlert.id))).all())


def _alert_notices() -> list[Notification]:
    with read_session() as session:
        return list(
            session.exec(
                select(Notification).where(Notification.kind == NoticeKind.recurrence_alert)
            ).all()
        )


def test_a_cluster_alerts_the_quality_managers_once_and_another_products_cluster_once(as_user):
    sales, quality = as_user("sales"), as_user("quality")
    pump = _catalogue("P-200", "SEAL-LEAK")
    first_two = [_coded_complaint(sales, quality, pump, n) for n in (1, 2)]
    assert _alerts() == []
    third = _coded_complaint(sales, quality, pump, 3)

    alerts = _alerts()
    assert len(alerts) == 1
    assert alerts[0].references == [*first_two, third]
    notices = _alert_notices()
    assert [n.recipient for n in notices] == ["manager@example.com"]  # the quality manager
    assert third in notices[0].subject + notices[0].body_text
    assert all(r in notices[0].body_text for r in first_two)
    history = quality.record(third)["history"]
    raised = [h for h in history if h["action"] == "recurrence_alert"]
    assert len(raised) == 1
    assert raised[0]["changes"]["references"] == [*first_two, third]
    linked = {r["reference"]: r["reason"] for r in quality.record(third)["related"]}
    assert linked == dict.fromkeys(first_two, "same_product_defect")

    _coded_complaint(sales, quality, pump, 4)  # the cluster grows: no second alert
    assert len(_alerts()) == 1
    assert len(_alert_notices()) == 1

    valve = _catalogue("V-10", "SEAL-LEAK")
    valve_refs = [_coded_complaint(sales, quality, valve, n) for n in (5, 6, 7, 8)]
    alerts = _alerts()
    assert len(alerts) == 2
    assert alerts[1].references == valve_refs[:3]
    assert len(_alert_notices()) == 2


def test_quality_managers_change_the_rule_with_a_reason_and_it_applies(as_user):
    manager, quality, sales = as_user("manager"), as_user("quality"), as_user("sales")
    assert manager.get("/recurrence-rule").json() == {
        "threshold": 3,
        "window_days": 90,
        "source": "default",
    }
    change = {"threshold": 2, "window_days": 30, "reason": "Audit finding 2026-14."}
    assert quality.put("/recurrence-rule", json=change).status_code == 403
    assert sales.get("/recurrence-rule").status_code == 403
    for bad in ({**change, "threshold": 1}, {**change, "reason": ""}, {"threshold": 2}):
        assert manager.put("/recurrence-rule", json=bad).status_code == 422, bad
    changed = manager.put("/recurrence-rule", json=change)
    assert changed.status_code == 200, changed.text
    assert changed.json()["threshold"] == 2
    assert changed.json()["source"].startswith("changed by manager")
    again = as_user("admin").put("/recurrence-rule", json={**change, "threshold": 4})
    assert again.status_code == 200
    trail = manager.get("/recurrence-rule/history").json()
    assert [(r["threshold"], r["changed_by"]) for r in trail] == [(2, "manager"), (4, "admin")]
    assert trail[0]["superseded_at"] is not None
    assert trail[1]["superseded_at"] is None
    assert trail[0]["reason"] == "Audit finding 2026-14."

    as_user("admin").put("/recurrence-rule", json=change)  # back to 2: two complaints alert
    pump = _catalogue("P-300", "SEAL-LEAK")
    _coded_complaint(sales, quality, pump, 1)
    assert _alerts() == []
    _coded_complaint(sales, quality, pump, 2)
    assert len(_alerts()) == 1
    assert _alerts()[0].details == {"threshold": 2, "window_days": 30}


def test_quality_confirms_dismisses_and_links_by_hand_with_history(as_user):
    references = _log_data_set(as_user("sales"))
    quality, sales = as_user("quality"), as_user("sales")
    seal, same_lot = references["seal"], references["same_lot"]
    path = f"/complaints/{seal}/related/{same_lot}"
    body = {"status": "confirmed", "reason": "Same seal batch."}
    assert sales.post(path, json=body).status_code == 403
    assert as_user("manager").post(path, json=body).status_code == 403
    confirmed = quality.post(path, json=body)
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["link_status"] == "confirmed"
    assert confirmed.json()["decided_by"] == "quality"
    for reference, other in ((seal, same_lot), (same_lot, seal)):
        entries = [
            h for h in quality.record(reference)["history"] if h["action"] == "related_confirmed"
        ]
        assert len(entries) == 1
        assert entries[0]["reason"] == "Same seal batch."
        assert entries[0]["changes"]["related"] == other
    dismissed = quality.post(path, json={"status": "dismissed", "reason": "Different seal."})
    assert dismissed.json()["link_status"] == "dismissed"

    invoice, display = references["invoice"], references["display"]
    nothing = quality.post(
        f"/complaints/{invoice}/related/{display}",
        json={"status": "dismissed", "reason": "No link."},
    )
    assert nothing.status_code == 404
    by_hand = quality.post(
        f"/complaints/{invoice}/related/{display}",
        json={"status": "confirmed", "reason": "Same customer's order."},
    )
    assert by_hand.status_code == 200, by_hand.text
    assert by_hand.json()["reason"] == "by_hand"
    listed = quality.get(f"/complaints/{invoice}/related").json()
    assert [(r["reference"], r["link_status"]) for r in listed] == [(display, "confirmed")]
    linked = [h for h in quality.record(display)["history"] if h["action"] == "related_linked"]
    assert len(linked) == 1

    refused = {
        f"/complaints/{seal}/related/{seal}": (body, 422),
        f"/complaints/{seal}/related/CMP-2000-999999": (body, 404),
        path: ({"status": "suggested", "reason": "Back."}, 422),
        f"/complaints/{seal}/related/{display}": ({"status": "confirmed"}, 422),
    }
    for url, (payload, code) in refused.items():
        assert quality.post(url, json=payload).status_code == code, url


def test_the_recurrence_report_and_the_dashboard_show_the_clusters_of_the_data_set(
    as_user, base_url
):
    sales, quality = as_user("sales"), as_user("quality")
    pump, valve = _catalogue("P-200", "SEAL-LEAK"), _catalogue("V-10", "SEAL-LEAK")
    pump_refs = [_coded_complaint(sales, quality, pump, n) for n in (1, 2, 3)]
    valve_refs = [_coded_complaint(sales, quality, valve, n) for n in (4, 5)]
    _coded_complaint(sales, quality, _catalogue("M-5", "CRACK"), 6)  # alone: no cluster

    assert sales.get("/reports/recurrence").status_code == 403
    assert quality.get("/reports/recurrence?days=0").status_code == 422
    clusters = as_user("manager").get("/reports/recurrence?days=90").json()
    assert [
        (c["product"], c["defect_code"], c["count"], c["references"], c["meets_rule"], c["alerted"])
        for c in clusters
    ] == [
        ("P-200 Pump P-200", "SEAL-LEAK", 3, pump_refs, True, True),
        ("V-10 Pump V-10", "SEAL-LEAK", 2, valve_refs, False, False),
    ]
    assert clusters[0]["first_seen"] <= clusters[0]["last_seen"]

    with read_session() as session:
        figures = dashboard(session)
    assert [(b.code, b.count, b.cumulative_share) for b in figures.defect_pareto] == [
        ("SEAL-LEAK", 5, 0.833),
        ("CRACK", 1, 1.0),
    ]
    assert [c.references for c in figures.open_clusters] == [pump_refs]
    browser = Browser(base_url)
    assert browser.sign_in("manager").status_code == 303
    page = browser.client.get("/dashboard").text
    pareto = re.search(r'<table id="pareto-figures">(.*?)</table>', page, re.S)
    assert pareto is not None
    assert "SEAL-LEAK Defect SEAL-LEAK</th><td>5 (83% cumulative)</td>" in pareto.group(1)
    clusters = page.split('id="clusters-h"')[1]
    assert all(f'href="/complaints/{r}"' in clusters for r in pump_refs)
    assert not any(r in clusters for r in valve_refs)
