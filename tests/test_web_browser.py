"""The web pages in a real browser (Debian's Chromium driven by Playwright), against the app
served over HTTP, with routing on the Prefect server and mail caught by the SMTP server.

Every page visited is checked with axe-core (no serious or critical violations) and saved as
a screenshot under ``test-output/screenshots/`` for a reviewer.
"""

import re
import shutil
import struct
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    ViewportSize,
    expect,
    sync_playwright,
)

from tests.support import Api, drain_outbox, freeze_at, mail_body
from workflow.clock import utcnow
from workflow.config import get_settings

pytestmark = pytest.mark.sqlite_leg_only(
    reason="a browser on the pages, whose routes the HTTP tests run on PostgreSQL too"
)


SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-output" / "screenshots"
PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
SERIOUS = ("serious", "critical")


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.fail("Chromium is missing: `make test` installs Debian's chromium package")
    return path


LAUNCHED: list[Browser] = []


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # Module scope, not session: while Playwright's sync API is open it holds an event loop in
    # this thread, and other modules' tests call asyncio.run (the delivery flow).
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path())
        LAUNCHED.append(browser)
        yield browser
        LAUNCHED.remove(browser)
        browser.close()


@pytest.fixture
def web(base_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The app's address, also used for the status links in the customer's mails."""
    monkeypatch.setenv("CW_PUBLIC_BASE_URL", base_url)
    get_settings.cache_clear()
    yield base_url
    close_pages()


def close_pages() -> None:
    """Close every page a test opened, before its database goes: a page left open keeps
    polling (the flow runs' panel), and a request that lands while the next test's settings
    are being put in place can leave the shared server's engine on the wrong database."""
    for launched in LAUNCHED:
        for context in launched.contexts:
            context.close()


def drain() -> None:
    """Run the delivery flow on the Prefect server (off this thread: Playwright owns its loop)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(drain_outbox).result()


def tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def check_page(page: Page, name: str) -> None:
    """axe-core finds no serious violation and, on a phone, the page itself does not scroll
    sideways (wide tables scroll inside their box); the page is saved for a reviewer."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    viewport = page.viewport_size
    if viewport is not None and viewport["width"] <= PHONE["width"]:
        widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert widths[0] <= widths[1], f"{name}: the page is {widths[0]} px wide on a phone"
        assert small_touch_targets(page) == [], f"{name}: targets under 44 px on a phone"
    violations = Axe().run(page).response["violations"]
    serious = [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in violations
        if v["impact"] in SERIOUS
    ]
    assert serious == [], f"{name}: {serious}"


# The controls a finger aims at; a checkbox or radio button counts with the label around it.
TOUCH_TARGETS_SCRIPT = """() => Array.from(document.querySelectorAll(
    'button, a[role=button], input:not([type=hidden]), select, textarea'))
  .map(e => (e.matches('input[type=checkbox], input[type=radio]') && e.closest('label')) || e)
  .filter(e => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden')
  .map(e => [e.outerHTML.slice(0, 80), e.getBoundingClientRect()])
  .filter(([, r]) => r.height < 44 || r.width < 44)
  .map(([html, r]) => `${html} ${Math.round(r.width)}x${Math.round(r.height)}`)"""


def small_touch_targets(page: Page) -> list[str]:
    """Visible buttons and form controls smaller than 44 by 44 px (WCAG 2.5.5)."""
    return page.evaluate(TOUCH_TARGETS_SCRIPT)


def signed_in(browser: Browser, base_url: str, username: str, viewport: ViewportSize) -> Page:
    context: BrowserContext = browser.new_context(base_url=base_url, viewport=viewport)
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("demo")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name=f"Sign out {username}")).to_be_visible()
    return page


def status_link(mailbox, reference: str, subject_start: str) -> str:
    mails = [
        m
        for m in mailbox.snapshot()
        if reference in m["Subject"] and m["Subject"].startswith(subject_start)
    ]
    assert len(mails) == 1, [m["Subject"] for m in mailbox.snapshot()]
    links = set(re.findall(r"https?://[^\s\"<>]+/status/[A-Za-z0-9_-]+", mail_body(mails[0])))
    assert len(links) == 1, links
    return links.pop()


def test_the_whole_workflow_in_the_browser(browser, web, mailbox):
    # An existing customer, to be found by the look-up as you type.
    Api(web, "sales").log_complaint(product="Valve V-10")
    drain()

    login = browser.new_context(base_url=web, viewport=DESKTOP).new_page()
    login.goto("/complaints/new")
    expect(login).to_have_url(re.compile(r"/login\?next=/complaints/new$"))
    check_page(login, "01-sign-in")
    # Keyboard only: the sign-in form works without a mouse.
    login.get_by_label("Username").focus()
    login.keyboard.type("sales")
    login.keyboard.press("Tab")
    login.keyboard.type("demo")
    login.keyboard.press("Enter")
    expect(login).to_have_url(re.compile(r"/complaints/new$"))
    sales = login

    # Sales logs a complaint through the form, picking the customer found by the look-up.
    sales.get_by_label("Find an existing customer").fill("Acme")
    sales.get_by_label(re.compile(r"Jane Miller, Acme")).check()
    sales.get_by_label("Received by").select_option("phone")
    sales.get_by_label("Product").fill("Pump P-300")
    sales.get_by_label("Lot number").fill("L-2026-200")
    sales.get_by_label("Order reference").fill("PO-9001")
    sales.get_by_label("Quantity affected").fill("4")
    sales.get_by_label("Severity").select_option("major")
    sales.get_by_label("Description, in the customer's words").fill("The pump hums and stops.")
    sales.get_by_label("Remedy the customer asks for").select_option("repair")
    sales.get_by_label("Photos and documents").set_input_files(
        [{"name": "pump.png", "mimeType": "image/png", "buffer": tiny_png()}]
    )
    check_page(sales, "02-log-a-complaint")
    sales.get_by_role("button", name="Log complaint").click()
    flash = sales.get_by_role("status").first
    expect(flash).to_contain_text("Promised answer to the customer by")
    found = re.search(r"CMP-\d{4}-\d{6}", flash.inner_text())
    assert found is not None
    reference = found.group(0)
    expect(sales.locator("h1")).to_contain_text(reference)
    expect(sales.get_by_role("link", name="pump.png")).to_be_visible()
    check_page(sales, "03-complaint-logged")

    drain()  # routing to quality and the acknowledgement
    status_url = status_link(mailbox, reference, "We have received")

    # Quality claims the task in its queue and completes it.
    quality = signed_in(browser, web, "quality", DESKTOP)
    quality.goto("/queue")
    row = quality.get_by_role("row").filter(has_text=reference)
    expect(row).to_contain_text("left")
    check_page(quality, "04-quality-queue")
    row.get_by_role("button", name=re.compile("Claim")).click()
    expect(quality.get_by_role("status").first).to_contain_text("Claimed")

    # Quality asks the technical department; technical answers from its own queue, by phone.
    ask = quality.locator("form[action$='/subtasks']")
    ask.get_by_label("Ask department").select_option("technical")
    ask.get_by_label("What you need from them").fill("Measure the returned pump's capacitor.")
    ask.get_by_role("button", name="Open sub-task").click()
    expect(quality.get_by_role("status").first).to_contain_text("Asked technical")
    technical = signed_in(browser, web, "technical", PHONE)
    technical.goto("/queue")
    technical.get_by_role("row").filter(has_text=reference).get_by_role(
        "button", name=re.compile("Claim")
    ).click()
    expect(technical.get_by_role("status").first).to_contain_text("Claimed")
    check_page(technical, "04b-technical-subtask")
    technical.get_by_label("Your answer to quality").fill("It measures 2 uF instead of 10 uF.")
    technical.get_by_role("button", name="Send the answer").click()
    expect(technical.get_by_role("status").first).to_contain_text("Answer sent")
    quality.reload()
    expect(quality.locator("section[aria-labelledby=subtasks-h]")).to_contain_text("2 uF")

    result = quality.locator("#result-form")
    result.get_by_label("Valid", exact=True).check()
    result.get_by_label("Investigate", exact=True).check()
    result.get_by_label("Defect code (required when valid)").select_option("EL-MOTR")
    result.get_by_label("Cause code (required when investigated)").select_option("MAT-BTCH")
    result.get_by_label("Containment", exact=True).fill("Lot L-2026-200 blocked.")
    result.get_by_label("Root cause").fill("Capacitor from a faulty batch.")
    result.get_by_label("Corrective action").fill("Batch scrapped.")
    result.get_by_label("Preventive action").fill("Incoming test of capacitors.")
    result.get_by_label("What the customer is told").fill(
        "A faulty capacitor stopped the pump; we repair it free of charge."
    )
    check_page(quality, "05-quality-task")
    quality.get_by_role("button", name="Complete and send to sales").click()
    expect(quality.get_by_role("status").first).to_contain_text("Result sent to sales")

    drain()  # the review task for sales
    sales.goto("/review")
    sales.get_by_role("button", name=f"Review {reference}").click()
    preview = sales.locator("#customer-preview")
    expect(preview).to_contain_text("we repair it free of charge")
    expect(preview).to_contain_text(reference)
    check_page(sales, "06-sales-review")
    sales.get_by_label("Approve: send the resolution to the customer").check()
    sales.get_by_role("button", name="Submit decision").click()
    expect(sales.get_by_role("status").first).to_contain_text("Approved")

    drain()  # the resolution notice
    assert status_link(mailbox, reference, "Resolution") == status_url

    # The customer opens the link from the mail and accepts.
    customer = browser.new_context(viewport=PHONE).new_page()
    customer.goto(status_url)
    expect(customer.locator("h1")).to_contain_text(reference)
    expect(customer.locator("#resolution-summary")).to_contain_text("free of charge")
    expect(customer.locator("body")).not_to_contain_text("Capacitor from a faulty batch")
    check_page(customer, "07-customer-status")
    customer.get_by_label("Yes, I accept the resolution").check()
    customer.get_by_role("button", name="Send my answer").click()
    expect(customer.get_by_role("status").first).to_contain_text("closed")
    expect(customer.locator("#customer-status")).to_contain_text("Closed")

    sales.goto(f"/complaints/{reference}")
    expect(sales.locator("#complaint-status")).to_have_text("closed")
    history = sales.locator("#history")
    expect(history).to_contain_text("customer record acceptance")
    # The Prefect runs that handled it, asked from the Prefect server after the page loaded.
    runs = sales.locator("section[aria-labelledby=runs-h]")
    expect(runs.get_by_role("link", name="Open in the Prefect UI").first).to_be_visible()
    expect(runs).to_contain_text(f"{reference} complaint.logged")
    check_page(sales, "08-complaint-file")


def status_of(page: Page, path: str) -> int:
    """The HTTP status of the page the browser opens at ``path``."""
    answer = page.goto(path)
    assert answer is not None
    return answer.status


def test_roles_see_only_their_pages(browser, web):
    quality = signed_in(browser, web, "quality", DESKTOP)
    for path in ("/review", "/overdue", "/dashboard"):
        answer = quality.goto(path)
        assert answer is not None
        assert answer.status == 403, path
        expect(quality.locator("h1")).to_have_text("Not for your role")
    check_page(quality, "09-forbidden")
    sales = signed_in(browser, web, "sales", DESKTOP)
    assert status_of(sales, "/overdue") == 403
    assert status_of(sales, "/queue") == 200


def test_a_customer_link_opens_exactly_one_complaint(browser, web, mailbox):
    sales = Api(web, "sales")
    first = sales.log_complaint(description="First: the seal leaks.")["reference"]
    second = sales.log_complaint(
        description="Second: the motor is loud.",
        customer={"name": "Bo Berg", "email": "bo@berg.example"},
    )["reference"]
    drain()
    link = status_link(mailbox, first, "We have received")

    customer = browser.new_context(viewport=PHONE).new_page()
    customer.goto(link)
    body = customer.locator("body")
    expect(body).to_contain_text(first)
    expect(body).to_contain_text("First: the seal leaks.")
    expect(body).not_to_contain_text(second)
    expect(body).not_to_contain_text("Bo Berg")
    expect(body).not_to_contain_text("Sign out")
    assert customer.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    token = link.rsplit("/", 1)[1]
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    for wrong in (forged, "x" * 43, "short"):
        answer = customer.goto(f"{web}/status/{wrong}")
        assert answer is not None
        assert answer.status in (404, 422), wrong
        expect(body).not_to_contain_text(first)
    # An answer without the page's CSRF token is refused.
    page = customer.request.post(
        f"{link}/answer", form={"decision": "accept", "csrf_token": "forged"}
    )
    assert page.status == 403


def test_the_overdue_board_shows_a_late_item(browser, web):
    reference = Api(web, "sales").log_complaint(severity="critical")["reference"]
    drain()
    freeze_at(utcnow() + timedelta(days=30))
    manager = signed_in(browser, web, "manager", DESKTOP)
    manager.goto("/overdue")
    rows = manager.get_by_role("row").filter(has_text=reference)
    expect(rows.first).to_contain_text("late")
    check_page(manager, "10-overdue-board")
    manager.goto("/dashboard")
    check_page(manager, "11-dashboard")


def test_pages_fit_a_phone(browser, web):
    sales = signed_in(browser, web, "sales", PHONE)
    for path, name in (("/complaints/new", "12-phone-form"), ("/complaints", "13-phone-list")):
        sales.goto(path)
        assert sales.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
        check_page(sales, name)


def test_quality_confirms_and_dismisses_related_complaints_on_its_pages(browser, web):
    sales_api = Api(web, "sales")
    older = sales_api.log_complaint()["reference"]
    newer = sales_api.log_complaint(description="Housing cracked during transport.")["reference"]
    drain()  # the same product and lot: linked when the newer one is routed

    quality = signed_in(browser, web, "quality", DESKTOP)
    quality.goto(f"/complaints/{newer}")
    related = quality.get_by_role("region", name="Related complaints")
    row = related.get_by_role("row").filter(has_text=older)
    expect(row).to_contain_text("same product lot")
    expect(row).to_contain_text("suggested")
    row.get_by_label("Why").fill("Same seal batch, same failure.")
    row.get_by_role("button", name="Confirm").click()
    expect(quality.get_by_text(f"Link to {older} confirmed.")).to_be_visible()
    expect(related.get_by_role("row").filter(has_text=older)).to_contain_text(
        "confirmed by quality"
    )
    check_page(quality, "14-related-complaints")

    task = Api(web, "quality").open_task(newer, "quality_assessment")
    quality.goto(f"/tasks/{task['id']}")
    row = quality.get_by_role("region", name="Related complaints").get_by_role("row")
    row = row.filter(has_text=older)
    row.get_by_label("Why").fill("A transport damage, not the seal.")
    row.get_by_role("button", name="Dismiss").click()
    expect(quality).to_have_url(re.compile(f"/tasks/{task['id']}$"))
    expect(row).to_contain_text("dismissed by quality")
    check_page(quality, "15-related-on-task-page")

    sales = signed_in(browser, web, "sales", DESKTOP)
    sales.goto(f"/complaints/{older}")
    sales_row = sales.get_by_role("region", name="Related complaints").get_by_role("row")
    expect(sales_row.filter(has_text=newer)).to_contain_text("dismissed")
    expect(sales.get_by_role("button", name="Confirm")).to_have_count(0)


def test_quality_keeps_the_catalogue_and_maps_a_complaint_in_the_browser(browser, web):
    reference = Api(web, "sales").log_complaint(product="the blue pump")["reference"]
    quality = signed_in(browser, web, "quality", DESKTOP)
    quality.goto("/products")
    add = quality.locator("form[method=post][action='/products']")
    add.get_by_label("Part number").fill("P-300")  # the label also says "required"
    add.get_by_label("Name").fill("Pump P-300")
    add.get_by_label("Product family").fill("pumps")
    add.get_by_role("button", name="Add product").click()
    expect(quality.get_by_role("status").first).to_contain_text("Product P-300 added")
    expect(quality.locator("#products")).to_contain_text("Pump P-300")
    check_page(quality, "16-products")

    quality.goto("/codes")
    expect(quality.locator("#defect-codes")).to_contain_text("Seal leak")
    expect(quality.locator("#cause-codes")).to_contain_text("Gauge out of calibration")
    check_page(quality, "17-codes")

    quality.goto(f"/complaints/{reference}")
    expect(quality.locator("#catalogue-product")).to_contain_text("not mapped")
    check_page(quality, "18-complaint-not-mapped")
    quality.get_by_label("Product", exact=True).select_option(label="P-300 · Pump P-300")
    quality.get_by_label("Why this product").fill("The customer's blue pumps are P-300.")
    quality.get_by_role("button", name="Map product").click()
    expect(quality.get_by_role("status").first).to_contain_text("Product mapped")
    expect(quality.locator("#catalogue-product")).to_contain_text("P-300 · Pump P-300 (pumps)")


def test_colleagues_talk_in_the_conversation_and_sales_edit_the_customer_on_a_phone(browser, web):
    reference = Api(web, "sales").log_complaint()["reference"]
    quality = signed_in(browser, web, "quality", PHONE)
    quality.goto(f"/complaints/{reference}")
    quality.get_by_label("Comment for colleagues").fill("@technical is lot L-2026-114 on hold?")
    quality.get_by_role("button", name="Post comment").click()
    expect(quality.get_by_text("Comment posted; mailed @technical.")).to_be_visible()
    conversation = quality.get_by_role("region", name="Conversation")
    expect(conversation).to_contain_text("is lot L-2026-114 on hold?")
    assert quality.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    check_page(quality, "15-conversation-phone")

    sales = signed_in(browser, web, "sales", PHONE)
    sales.goto(f"/complaints/{reference}")
    sales.get_by_role("link", name="Jane Miller").click()
    expect(sales.locator("h1")).to_contain_text("Jane Miller")
    sales.get_by_label("Language of the customer's mails").select_option("es")
    sales.get_by_label("Why (goes to the history of each complaint)").fill(
        "She asked for Spanish mail."
    )
    sales.get_by_role("button", name="Save the changes").click()
    expect(sales.get_by_text("Saved: language changed.")).to_be_visible()
    expect(sales.get_by_role("region", name="Details", exact=True)).to_contain_text("Spanish (es)")
    assert sales.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    check_page(sales, "16-customer-page-phone")
