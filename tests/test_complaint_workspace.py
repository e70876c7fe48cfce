"""The complaint page's side panel over real HTTP: beside the record, the customer's other
complaints (newest first, at most ten, the rest on the customer page) and the related ones."""

import re

import pytest
from playwright.sync_api import expect

from tests.support import complaint_payload
from tests.test_web_browser import DESKTOP, PHONE, check_page, signed_in, web  # noqa: F401
from tests.test_web_browser import browser as web_browser  # noqa: F401
from tests.test_web_pages import browser  # noqa: F401

OTHER_CUSTOMER = {"name": "Omar Haddad", "email": "omar@example.org", "phone": "+49 30 999"}


def _side_panel(html: str) -> str:
    match = re.search(r'<aside class="workspace-side".*?</aside>', html, re.S)
    assert match, "the complaint page has no side panel"
    return match.group(0)


def _references(html: str) -> list[str]:
    return re.findall(r'href="/complaints/(CMP-[0-9-]+)"', html)


def test_the_side_panel_lists_the_customers_other_complaints_newest_first(as_user, browser):  # noqa: F811
    sales = as_user("sales")
    jane = [sales.log_complaint()["reference"] for _ in range(3)]
    sales.log_complaint(**complaint_payload(customer=OTHER_CUSTOMER))
    page = browser("quality").client.get(f"/complaints/{jane[1]}")
    assert page.status_code == 200
    side = _side_panel(page.text)
    others = side.split('id="side-others-h"')[1].split("</section>")[0]
    assert _references(others) == [jane[2], jane[0]]  # newest first, never itself
    customer_id = sales.record(jane[1])["customer"]["id"]
    assert f'href="/customers/{customer_id}"' in side
    assert "All " not in others  # nothing beyond the panel


def test_a_customer_with_many_complaints_gets_the_newest_ten_and_a_link_to_all(as_user, browser):  # noqa: F811
    sales = as_user("sales")
    references = [sales.log_complaint()["reference"] for _ in range(13)]
    page = browser("sales").client.get(f"/complaints/{references[0]}")
    side = _side_panel(page.text)
    others = side.split('id="side-others-h"')[1].split("</section>")[0]
    assert _references(others)[:10] == list(reversed(references[3:]))
    assert "All 12 on the customer page" in others


def test_a_first_complaint_says_it_is_the_customers_only_one(as_user, browser):  # noqa: F811
    reference = as_user("sales").log_complaint(**complaint_payload(customer=OTHER_CUSTOMER))[
        "reference"
    ]
    side = _side_panel(browser("quality").client.get(f"/complaints/{reference}").text)
    assert "None: this is their only complaint." in side
    assert "None found." in side  # no related complaints either


@pytest.mark.sqlite_leg_only(reason="a browser on a page the HTTP tests above also run")
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_side_panel_sits_beside_the_record_on_a_desk_and_below_it_on_a_phone(
    as_user,
    web_browser,  # noqa: F811
    web,  # noqa: F811
    viewport,
):
    sales = as_user("sales")
    first, second = (sales.log_complaint()["reference"] for _ in range(2))
    page = signed_in(web_browser, web, "quality", viewport)
    page.goto(f"/complaints/{second}")
    side = page.get_by_role("complementary", name="Around this complaint")
    expect(side.get_by_role("link", name=first)).to_be_visible()
    record = page.locator(".workspace-main").bounding_box()
    panel = side.bounding_box()
    assert record is not None
    assert panel is not None
    if viewport == DESKTOP:
        assert panel["x"] >= record["x"] + record["width"]  # beside it
    else:
        assert panel["y"] >= record["y"] + record["height"]  # below it
    check_page(page, f"complaint-workspace-{viewport['width']}")
