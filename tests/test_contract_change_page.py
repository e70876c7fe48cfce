"""Starting a change of an accepted contract on its page, over HTTP: sales' form opens a change
review, the page then names the change in review instead of the form; quality may not; bad
input and a second change are refused with the field's or the rules' words."""

import re
from typing import Any

from tests.test_contract_review import review
from tests.test_contracts import accepted_contract, contract
from tests.test_web_pages import Browser

CHANGE = {
    "change_quantity": "8000",
    "change_requirements": "2,000 more pumps in 2029, same drawing.",
    "change_channel": "email",
    "change_departments": ["sales", "production"],
    "change_reason": "Only the quantity changes: production capacity and the price.",
}


def signed_in(base_url: str, username: str) -> Browser:
    browser = Browser(base_url)
    assert browser.sign_in(username).status_code == 303
    return browser


def propose(sales: Browser, contract_id: int, **fields: Any) -> Any:
    path = f"/contracts/{contract_id}"
    return sales.form(f"{path}/changes", {**CHANGE, **fields}, page=path)


def test_sales_start_a_change_on_the_contracts_page(as_user, base_url):
    file = accepted_contract(as_user)
    path = f"/contracts/{file['id']}"
    sales = signed_in(base_url, "sales")

    page = sales.client.get(path)
    assert page.status_code == 200, page.text
    assert 'id="change-form"' in page.text
    for field in ("change_title", "change_quantity", "change_reason", "change_channel"):
        assert f'<label for="{field}">' in page.text
    assert '<label for="change_departments-production">' in page.text
    assert "Leave empty to keep the current one: 6000." in page.text

    started = propose(sales, file["id"])
    assert started.status_code == 303, started.text
    location = started.headers["location"]
    assert re.fullmatch(r"/reviews/CR-\d{4}-\d+", location), location
    reference = location.rsplit("/", 1)[1]

    changed = review(as_user("sales"), reference)
    assert (changed["kind"], changed["changes_contract"]) == ("change", file["reference"])
    assert changed["quantity"] == 8000
    assert changed["title"] == file["terms"]["title"]  # left empty: kept

    after = sales.client.get(path)
    assert 'id="change-form"' not in after.text
    assert f'<a href="/reviews/{reference}">{reference}</a> is in review' in after.text
    sales.client.close()


def test_quality_sees_no_form_and_may_not_start_a_change(as_user, base_url):
    file = accepted_contract(as_user)
    path = f"/contracts/{file['id']}"
    quality = signed_in(base_url, "quality")

    page = quality.client.get(path)
    assert page.status_code == 200, page.text
    assert "Change the contract" not in page.text
    assert 'id="change-form"' not in page.text
    refused = propose(quality, file["id"])
    assert refused.status_code == 403, refused.text
    assert contract(as_user("sales"), file["id"])["changes"] == []
    quality.client.close()


def test_bad_input_is_refused_with_422_on_the_field(as_user, base_url):
    file = accepted_contract(as_user)
    sales = signed_in(base_url, "sales")

    no_reason = propose(sales, file["id"], change_reason="  ")
    assert no_reason.status_code == 422, no_reason.text
    assert 'aria-invalid="true" aria-describedby="change_reason-error"' in no_reason.text
    error = '<small class="field-error" id="change_reason-error">fill this in</small>'
    assert error in no_reason.text
    assert 'role="alert">Please correct the 1 field marked below.' in no_reason.text

    negative = propose(sales, file["id"], change_quantity="-5")
    assert negative.status_code == 422, negative.text
    assert 'aria-invalid="true" aria-describedby="change_quantity-error"' in negative.text
    assert "greater than or equal to 1" in negative.text
    assert 'value="-5"' in negative.text  # what was typed stays

    no_departments = propose(sales, file["id"], change_departments=[])
    assert no_departments.status_code == 422, no_departments.text
    assert "choose the departments the change concerns" in no_departments.text
    assert contract(as_user("sales"), file["id"])["changes"] == []
    sales.client.close()


def test_a_second_change_while_one_is_in_review_is_refused_with_409(as_user, base_url):
    file = accepted_contract(as_user)
    sales = signed_in(base_url, "sales")
    first = propose(sales, file["id"])
    assert first.status_code == 303, first.text
    reference = first.headers["location"].rsplit("/", 1)[1]

    second = propose(sales, file["id"], change_quantity="9000")
    assert second.status_code == 409, second.text
    assert 'role="alert"' in second.text
    refusal = f"has a change in review: {reference}; it is decided or withdrawn first"
    assert refusal in second.text
    changes = contract(as_user("sales"), file["id"])["changes"]
    assert [c["reference"] for c in changes] == [reference]
    sales.client.close()
