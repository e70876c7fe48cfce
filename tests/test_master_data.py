"""Products and defect/cause codes: kept by quality and admins, imported from CSV, every
change in the master-data change log; complaints point at products."""

from sqlmodel import col, select

from models.catalogue import MasterDataChange
from models.quality import CauseCode, DefectCode
from workflow.db import read_session

CSV_HEADER = "part_number,name,family,active\n"


def _import(client, text: str):
    return client.post(
        "/products/import", content=text.encode(), headers={"Content-Type": "text/csv"}
    )


def _changes(entity: str) -> list[MasterDataChange]:
    with read_session() as session:
        query = select(MasterDataChange).where(MasterDataChange.entity == entity)
        return list(session.exec(query.order_by(col(MasterDataChange.id))))


def test_the_starter_codes_are_in_every_new_database_once(settings):
    with read_session() as session:
        defects = session.exec(select(DefectCode)).all()
        causes = session.exec(select(CauseCode)).all()
    assert len(defects) >= 25
    assert len({d.family for d in defects}) == 8
    assert len({d.code for d in defects}) == len(defects)
    assert {c.category.value for c in causes} == {
        "man", "machine", "method", "material", "measurement", "environment"
    }  # fmt: skip
    assert all(sum(c.category == cat for c in causes) >= 4 for cat in {c.category for c in causes})
    assert ("LK-SEAL", "leak", "Seal leak") in {(d.code, d.family, d.label) for d in defects}


def test_a_good_csv_file_creates_products_and_a_second_upserts_by_part_number(as_user):
    quality = as_user("quality")
    first = _import(
        quality,
        CSV_HEADER
        + "P-200,Pump P-200,pumps,true\nV-10,Valve V-10,valves,\nS-1,Seal kit,seals,no\n",
    )
    assert first.status_code == 200, first.text
    assert first.json() == {"created": 3, "updated": 0, "unchanged": 0}

    second = _import(
        quality,
        CSV_HEADER + "p-200,Pump P-200 rev B,pumps,true\nV-10,Valve V-10,valves,yes\n"
        "X-9,Mixer X-9,mixers,1\n",
    )
    assert second.status_code == 200, second.text
    assert second.json() == {"created": 1, "updated": 1, "unchanged": 1}

    listed = quality.get("/products", params={"q": "pump"}).json()["items"]
    assert [(p["part_number"], p["name"]) for p in listed] == [("P-200", "Pump P-200 rev B")]
    inactive = quality.get("/products", params={"active": "false"}).json()["items"]
    assert [p["part_number"] for p in inactive] == ["S-1"]
    by_family = quality.get("/products", params={"family": "VALVES"}).json()["items"]
    assert [p["part_number"] for p in by_family] == ["V-10"]
    log = _changes("product")
    assert [e.action for e in log] == ["products_imported", "products_imported"]
    assert log[1].actor == "quality"
    renamed = [p for p in log[1].changes["products"] if p["part_number"] == "P-200"]
    assert renamed[0]["name"] == {"old": "Pump P-200", "new": "Pump P-200 rev B"}


def test_a_file_with_bad_lines_imports_nothing_and_names_every_bad_line(as_user):
    quality = as_user("quality")
    answer = _import(
        quality,
        CSV_HEADER + "P-200,Pump P-200,pumps,true\n"  # line 2: good
        ",No part number,pumps,true\n"  # line 3
        "V-10,Valve,valves,maybe\n"  # line 4
        "P-200,Pump again,pumps,true\n",  # line 5: repeats line 2
    )
    assert answer.status_code == 422, answer.text
    detail = answer.json()["detail"]
    assert [d["loc"][-1] for d in detail] == [3, 4, 5]
    assert "maybe" in detail[1]["msg"]
    assert "repeats line 2" in detail[2]["msg"]
    assert quality.get("/products").json()["items"] == []
    assert _changes("product") == []

    header = _import(quality, "part,name\nP-1,x\n")
    assert header.status_code == 422
    assert "part_number" in header.json()["detail"][0]["msg"]
    binary = quality.post(
        "/products/import",
        content=b"part_number,name,family\nP-1,\xff\xfe,x\n",
        headers={"Content-Type": "text/csv"},
    )
    assert binary.status_code == 422
    assert "UTF-8" in binary.text
    too_big = _import(quality, CSV_HEADER + "P-1,x,y,true\n" * 80_000)
    assert too_big.status_code == 413


def test_products_are_created_changed_and_deactivated_with_a_change_log(as_user):
    quality, admin, sales = as_user("quality"), as_user("admin"), as_user("sales")
    body = {"part_number": "P-200", "name": "Pump P-200", "family": "pumps"}
    assert sales.post("/products", json=body).status_code == 403
    created = quality.post("/products", json=body)
    assert created.status_code == 201, created.text
    product = created.json()
    assert quality.post("/products", json={**body, "part_number": "p-200"}).status_code == 409
    assert quality.post("/products", json={**body, "part_number": "<b>"}).status_code == 422

    assert sales.patch(f"/products/{product['id']}", json={"active": False}).status_code == 403
    changed = admin.patch(
        f"/products/{product['id']}",
        json={"name": "Pump P-200 HD", "active": False, "reason": "Discontinued."},
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["name"], changed.json()["active"]) == ("Pump P-200 HD", False)
    assert admin.patch("/products/999999", json={"active": True}).status_code == 404
    assert sales.get("/products").status_code == 200  # everyone reads the catalogue

    log = _changes("product")
    assert [(e.action, e.actor) for e in log] == [
        ("product_created", "quality"),
        ("product_changed", "admin"),
    ]
    assert log[1].changes["active"] == {"old": True, "new": False}
    assert log[1].reason == "Discontinued."
    listed = quality.get("/products/changes", params={"entity": "product"}).json()
    assert [e["action"] for e in listed] == ["product_changed", "product_created"]


def test_codes_are_managed_by_quality_and_refused_to_sales(as_user):
    quality, sales = as_user("quality"), as_user("sales")
    new = {"code": "LK-GASK", "family": "leak", "label": "Gasket leak"}
    assert sales.post("/codes/defects", json=new).status_code == 403
    created = quality.post("/codes/defects", json=new)
    assert created.status_code == 201, created.text
    assert created.json()["group"] == "leak"
    assert quality.post("/codes/defects", json=new).status_code == 409
    assert quality.post("/codes/defects", json={**new, "code": "lower"}).status_code == 422

    cause = quality.post(
        "/codes/causes", json={"code": "MAT-SEAL", "category": "material", "label": "Seal mix"}
    )
    assert cause.status_code == 201, cause.text
    bad_category = quality.post(
        "/codes/causes", json={"code": "X-1", "category": "money", "label": "x"}
    )
    assert bad_category.status_code == 422

    code_id = created.json()["id"]
    assert sales.patch(f"/codes/defects/{code_id}", json={"active": False}).status_code == 403
    off = quality.patch(f"/codes/defects/{code_id}", json={"active": False, "reason": "Merged."})
    assert off.status_code == 200
    assert off.json()["active"] is False
    wrong_field = quality.patch(f"/codes/defects/{code_id}", json={"category": "man"})
    assert wrong_field.status_code == 422
    listed = {c["code"]: c for c in sales.get("/codes/defects").json()}
    assert listed["LK-GASK"]["active"] is False
    assert "MAT-SEAL" in {c["code"] for c in sales.get("/codes/causes").json()}
    assert [e.action for e in _changes("defect_code")] == [
        "code_created",
        "code_changed",
    ]


def test_intake_links_a_product_named_exactly_and_leaves_other_text_unmapped(as_user):
    quality, sales = as_user("quality"), as_user("sales")
    product = quality.post(
        "/products", json={"part_number": "P-200", "name": "Pump P-200", "family": "pumps"}
    ).json()

    by_name = sales.log_complaint(product="  pump p-200 ")["reference"]
    by_part = sales.log_complaint(product="P-200")["reference"]
    by_id = sales.log_complaint(product=None, product_id=product["id"])["reference"]
    unknown = sales.log_complaint(product="Some old pump")["reference"]

    for reference in (by_name, by_part, by_id):
        record = sales.record(reference)
        assert record["product_mapped"] is True
        assert record["catalogue_product"] == {
            "id": product["id"], "part_number": "P-200", "name": "Pump P-200", "family": "pumps"
        }  # fmt: skip
    assert sales.record(by_name)["product"] == "  pump p-200 "  # the text as received
    assert sales.record(by_id)["product"] == "Pump P-200"
    record = sales.record(unknown)
    assert (record["product_mapped"], record["catalogue_product"]) == (False, None)
    assert (record["defect_code"], record["cause_code"]) == (None, None)

    unmapped = quality.get("/complaints", params={"product_unmapped": "true"}).json()["items"]
    assert [c["reference"] for c in unmapped] == [unknown]
    mapped = quality.get("/complaints", params={"product_unmapped": "false"}).json()["items"]
    assert {c["reference"] for c in mapped} == {by_name, by_part, by_id}

    neither = sales.post("/complaints", json={**_payload(), "product": None})
    assert neither.status_code == 422
    assert neither.json()["detail"][0]["loc"] == ["body", "product"]
    missing = sales.post("/complaints", json={**_payload(), "product_id": 999999})
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"] == ["body", "product_id"]


def _payload() -> dict:
    from tests.support import complaint_payload

    return complaint_payload()


def test_quality_maps_an_unmapped_complaint_and_the_history_keeps_old_and_new(as_user):
    quality, sales = as_user("quality"), as_user("sales")
    first = quality.post(
        "/products", json={"part_number": "P-200", "name": "Pump P-200", "family": "pumps"}
    ).json()
    second = quality.post(
        "/products", json={"part_number": "P-300", "name": "Pump P-300", "family": "pumps"}
    ).json()
    reference = sales.log_complaint(product="the big blue pump")["reference"]
    body = {"product_id": first["id"], "reason": "Customer's order PO-7781 was for P-200."}

    assert sales.post(f"/complaints/{reference}/product", json=body).status_code == 403
    assert quality.post("/complaints/CMP-1999-000001/product", json=body).status_code == 404
    short = quality.post(f"/complaints/{reference}/product", json={**body, "reason": ""})
    assert short.status_code == 422
    mapped = quality.post(f"/complaints/{reference}/product", json=body)
    assert mapped.status_code == 200, mapped.text
    assert mapped.json()["catalogue_product"]["part_number"] == "P-200"
    assert mapped.json()["product"] == "the big blue pump"
    assert "map_product" in mapped.json()["available_actions"]

    remapped = quality.post(
        f"/complaints/{reference}/product",
        json={"product_id": second["id"], "reason": "It was a P-300 after all."},
    )
    assert remapped.status_code == 200
    entries = [h for h in quality.record(reference)["history"] if h["action"] == "product_mapped"]
    assert [(e["changes"]["old"], e["changes"]["new"]["part_number"]) for e in entries] == [
        (None, "P-200"),
        ({"id": first["id"], "part_number": "P-200", "name": "Pump P-200"}, "P-300"),
    ]
    assert entries[1]["reason"] == "It was a P-300 after all."

    quality.patch(f"/products/{first['id']}", json={"active": False})
    retired = quality.post(f"/complaints/{reference}/product", json=body)
    assert retired.status_code == 422
    assert "no longer sold" in retired.text


def test_products_are_imported_from_the_command_line_and_a_bad_file_is_refused_in_words(
    settings, tmp_path
):
    from typer.testing import CliRunner

    from workflow.cli import app

    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text(CSV_HEADER + "P-200,Pump P-200,pumps,true\n")
    bad.write_text(CSV_HEADER + "P-300,,pumps,true\n")
    done = CliRunner().invoke(app, ["import-products", str(good), "--user", "quality"])
    assert done.exit_code == 0, done.output
    assert "1 new, 0 changed, 0 unchanged" in done.output
    refused = CliRunner().invoke(app, ["import-products", str(bad)])
    assert refused.exit_code == 1
    assert "line 2: name" in refused.output
    assert "nothing imported" in refused.output
    sales = CliRunner().invoke(app, ["import-products", str(good), "--user", "sales"])
    assert sales.exit_code == 1
    assert [e.action for e in _changes("product")] == ["products_imported"]
