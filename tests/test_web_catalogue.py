"""The master data pages over real HTTP: products (search, add, change, CSV import), codes,
the defect and cause selects on quality's task page, and mapping a complaint to a product."""

import re

import pytest

from tests.support import Api, drain_outbox
from tests.test_web_pages import Browser


@pytest.fixture
def browser(base_url):
    clients: list[Browser] = []

    def open_as(username: str) -> Browser:
        client = Browser(base_url)
        clients.append(client)
        assert client.sign_in(username).status_code == 303
        return client

    yield open_as
    for client in clients:
        client.client.close()


def test_quality_adds_imports_and_retires_products_on_the_products_page(browser):
    quality, sales = browser("quality"), browser("sales")
    added = quality.form(
        "/products", {"part_number": "P-200", "name": "Pump P-200", "family": "pumps"}
    )
    assert added.status_code == 303
    bad = quality.form("/products", {"part_number": "", "name": "x", "family": "y"})
    assert bad.status_code == 422
    assert 'id="part_number-error"' in bad.text

    csv = b"part_number,name,family,active\nV-10,Valve V-10,valves,true\n,broken,x,true\n"
    refused = quality.form(
        "/products/import", {}, files=[("file", ("p.csv", csv, "text/csv"))], page="/products"
    )
    assert refused.status_code == 422
    assert "Line 3:" in refused.text
    good = csv.replace(b",broken,x,true\n", b"")
    imported = quality.form(
        "/products/import", {}, files=[("file", ("p.csv", good, "text/csv"))], page="/products"
    )
    assert imported.status_code == 303
    page = quality.client.get("/products", params={"q": "valve"})
    assert "Valve V-10" in page.text
    assert "Pump P-200" not in page.text
    assert "Imported: 1 new, 0 changed, 0 unchanged." in page.text

    product_id = re.search(r'href="/products/(\d+)">P-200', quality.client.get("/products").text)
    assert product_id is not None
    edit = f"/products/{product_id.group(1)}"
    saved = quality.form(edit, {"name": "Pump P-200", "family": "pumps", "active": "no"})
    assert saved.status_code == 303
    assert "no longer sold" in quality.client.get("/products").text

    listing = sales.client.get("/products")
    assert listing.status_code == 200
    assert 'method="post" action="/products"' not in listing.text
    assert sales.client.get(edit).status_code == 403
    assert sales.form("/products", {"part_number": "X-1"}, page="/products").status_code == 403


def test_codes_page_adds_and_retires_codes_and_the_task_page_offers_active_ones_by_family(
    browser, base_url
):
    quality = browser("quality")
    added = quality.form("/codes/defect", {"code": "LK-GASK", "label": "Gasket", "group": "leak"})
    assert added.status_code == 303
    codes = quality.client.get("/codes").text
    assert "LK-GASK" in codes
    found = re.search(r'action="/codes/defect/(\d+)"[^>]*>\s*<input[^>]*>\s*<input[^>]*'
                      r'value="no">\s*<button[^>]*>Retire LK-SEAL', codes)  # fmt: skip
    assert found is not None
    assert (
        quality.form(f"/codes/defect/{found.group(1)}", {"active": "no"}, page="/codes").status_code
        == 303
    )
    cause = quality.form(
        "/codes/cause", {"code": "ENV-DUST", "label": "Dust", "group": "environment"}
    )
    assert cause.status_code == 303
    wrong = quality.form(
        "/codes/cause", {"code": "X-1", "label": "x", "group": "money"}, page="/codes"
    )
    assert wrong.status_code == 422

    reference = Api(base_url, "sales").log_complaint()["reference"]
    drain_outbox()
    task = Api(base_url, "quality").open_task(reference, "quality_assessment")
    page = quality.client.get(f"/tasks/{task['id']}").text
    assert '<optgroup label="Leak">' in page
    assert 'value="LK-GASK"' in page
    assert 'value="LK-SEAL"' not in page  # retired
    assert '<optgroup label="Environment">' in page
    assert 'value="ENV-DUST"' in page

    assessed = quality.form(
        f"/tasks/{task['id']}/assessment",
        {"valid": "yes", "investigate": "yes", "defect_code": "LK-GASK", "severity": "critical"},
    )
    assert assessed.status_code == 303
    record = Api(base_url, "quality").record(reference)
    assert (record["defect_code"]["code"], record["severity"]) == ("LK-GASK", "critical")
    missing = quality.form(
        f"/tasks/{task['id']}/assessment", {"valid": "yes", "investigate": "yes"}
    )
    assert missing.status_code == 422
    assert "defect_code is required" in missing.text


def test_the_complaint_page_shows_product_and_codes_and_quality_maps_the_product(browser, base_url):
    quality_api = Api(base_url, "quality")
    product = quality_api.post(
        "/products", json={"part_number": "P-300", "name": "Pump P-300", "family": "pumps"}
    ).json()
    reference = Api(base_url, "sales").log_complaint(product="blue pump")["reference"]
    quality, sales = browser("quality"), browser("sales")

    page = quality.client.get(f"/complaints/{reference}").text
    assert "<strong>not mapped</strong>" in page
    assert f'action="/complaints/{reference}/product"' in page
    assert (
        f'action="/complaints/{reference}/product"'
        not in sales.client.get(f"/complaints/{reference}").text
    )

    unsaid = quality.form(f"/complaints/{reference}/product", {"product_id": str(product["id"])})
    assert unsaid.status_code == 303
    assert quality_api.record(reference)["product_mapped"] is False
    mapped = quality.form(
        f"/complaints/{reference}/product",
        {"product_id": str(product["id"]), "reason": "Blue pumps are P-300."},
    )
    assert mapped.status_code == 303
    page = quality.client.get(f"/complaints/{reference}").text
    assert "P-300 · Pump P-300 (pumps)" in page
    assert "Product mapped." in page
