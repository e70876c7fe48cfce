"""A customer's file: sales read it and change the contact details, language and time zone;
every change is in the history of each of the customer's complaints, with who and why, and
the next mail goes to the new address in the new language."""

from tests.support import drain_outbox, mail_body
from tests.test_customer_language import subject_of
from tests.test_web_pages import browser  # noqa: F401  (the signed-in page client)

JANE = {"name": "Jane Miller", "email": "jane@acme.example"}


def _customer_of(sales, reference: str) -> int:
    return sales.record(reference)["customer"]["id"]


def _history(api, reference: str, action: str) -> list[dict]:
    return [e for e in api.record(reference)["history"] if e["action"] == action]


def test_sales_change_a_customers_address_and_language_and_the_next_mail_follows(as_user, mailbox):
    sales = as_user("sales")
    first = sales.log_complaint(customer=JANE)["reference"]
    customer_id = _customer_of(sales, first)
    change = {
        "email": "jane.miller@acme-group.example",
        "language": "de",
        "time_zone": "Europe/Vienna",
        "phone": "+49 30 5550",
        "reason": "Jane moved to the Vienna office and asked for German mail.",
    }
    changed = sales.patch(f"/customers/{customer_id}", json=change)
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["changed"] == ["email", "language", "phone", "time_zone"]
    assert body["customer"]["language"] == "de"
    assert [c["reference"] for c in body["complaints"]] == [first]

    second = sales.log_complaint(customer_id=customer_id, customer=None)["reference"]
    drain_outbox()
    (acknowledgement,) = [
        m
        for m in mailbox.snapshot()
        if second in subject_of(m)
        and m["To"] != "quality@example.com"
        and "Reklamation" in subject_of(m)
    ]
    assert acknowledgement["To"] == "jane.miller@acme-group.example"
    assert acknowledgement["Content-Language"] == "de"
    assert "Wir haben Ihre Reklamation" in mail_body(acknowledgement)

    (entry,) = _history(as_user("quality"), first, "customer_changed")
    assert entry["actor"] == "sales"
    assert entry["reason"] == change["reason"]
    assert entry["changes"]["customer_details"] == {
        "email": {"from": "jane@acme.example", "to": "jane.miller@acme-group.example"},
        "phone": {"from": None, "to": "+49 30 5550"},
    }
    assert entry["changes"]["language"] == {"from": "en", "to": "de"}
    file = sales.get(f"/customers/{customer_id}").json()
    assert [c["reference"] for c in file["complaints"]] == [second, first]


def test_bad_changes_are_refused_in_plain_words_and_change_nothing(as_user):
    sales = as_user("sales")
    reference = sales.log_complaint(customer=JANE)["reference"]
    other = sales.log_complaint(customer={"name": "Bo Berg", "email": "bo@berg.example"})
    customer_id = _customer_of(sales, reference)
    reason = {"reason": "Customer called with new details."}

    taken = sales.patch(f"/customers/{customer_id}", json={"email": "BO@berg.example", **reason})
    assert taken.status_code == 409
    assert "has the address bo@berg.example already" in taken.json()["detail"]
    unreachable = sales.patch(f"/customers/{customer_id}", json={"email": "", **reason})
    assert unreachable.status_code == 422
    assert "e-mail address or phone number" in str(unreachable.json()["detail"])
    for bad in ({"language": "klingon-x-y-z"}, {"time_zone": "Mars/Olympus"}, {"age": 3}):
        assert sales.patch(f"/customers/{customer_id}", json={**bad, **reason}).status_code == 422
    no_reason = sales.patch(f"/customers/{customer_id}", json={"language": "fr"})
    assert no_reason.status_code == 422
    quality = as_user("quality").patch(f"/customers/{customer_id}", json={"name": "X", **reason})
    assert quality.status_code == 403
    assert sales.patch("/customers/987654", json={"name": "X", **reason}).status_code == 404
    assert sales.get("/customers/987654").status_code == 404
    assert sales.record(reference)["customer"]["email"] == "jane@acme.example"
    assert _history(sales, reference, "customer_changed") == []
    assert other["reference"] != reference


def test_sales_edit_a_customer_on_the_customer_page(as_user, browser):  # noqa: F811
    sales_api = as_user("sales")
    reference = sales_api.log_complaint(customer=JANE)["reference"]
    customer_id = _customer_of(sales_api, reference)
    sales = browser("sales")
    page = sales.client.get(f"/customers/{customer_id}")
    assert page.status_code == 200
    assert "Jane Miller" in page.text
    assert reference in page.text
    complaint_page = sales.client.get(f"/complaints/{reference}").text
    assert f'href="/customers/{customer_id}"' in complaint_page
    path = f"/customers/{customer_id}"
    short = sales.form(path, {"name": "Jane Miller-Berg", "reason": "no"}, page=path)
    assert short.status_code == 422
    assert "at least 5 characters" in short.text
    saved = sales.form(
        path,
        {
            "name": "Jane Miller-Berg",
            "company": "",
            "email": "jane@acme.example",
            "phone": "",
            "address": "",
            "language": "fr",
            "time_zone": "Europe/Paris",
            "reason": "Married name, writes in French.",
        },
        page=path,
    )
    assert saved.status_code == 303, saved.text[:500]
    assert "Jane Miller-Berg" in sales.client.get(path).text
    assert sales_api.record(reference)["customer"]["language"] == "fr"
    quality = browser("quality")
    read_only = quality.client.get(path)
    assert read_only.status_code == 200
    assert "Jane Miller-Berg" in read_only.text
    assert "<form" not in read_only.text.split("<main")[1].split("</main>")[0]
    assert quality.form(path, {"name": "X", "reason": "Wrong name."}, page=path).status_code == 403


def test_old_contact_details_in_the_history_go_with_an_erasure(as_user):
    sales, admin = as_user("sales"), as_user("admin")
    reference = sales.log_complaint(customer=JANE)["reference"]
    customer_id = _customer_of(sales, reference)
    moved = {"phone": "+49 30 7771234", "reason": "New direct line from Jane."}
    assert sales.patch(f"/customers/{customer_id}", json=moved).status_code == 200
    withdrawn = sales.post(f"/complaints/{reference}/withdraw", json={"reason": "Logged twice."})
    assert withdrawn.status_code == 200, withdrawn.text
    erased = admin.post(
        f"/customers/{customer_id}/erase", json={"reason": "Jane asked to be forgotten."}
    )
    assert erased.status_code == 200, erased.text
    (entry,) = _history(sales, reference, "customer_changed")
    assert "7771234" not in str(entry)
    assert "jane@acme.example" not in str(sales.record(reference))
    assert admin.get("/admin/history/verify").json()["problems"] == []
