"""Staff talk inside the record: comments on a complaint and its tasks, @mentions mailed to the
colleague, one conversation with the customer's messages, every comment in the history."""

from tests.support import drain_outbox, mail_body
from tests.test_customer_language import subject_of
from tests.test_web_pages import browser  # noqa: F401  (the signed-in page client)
from workflow.comments import mentioned_usernames


def test_a_mention_mails_the_colleague_and_the_comment_is_in_the_history(as_user, mailbox):
    sales, quality = as_user("sales"), as_user("quality")
    reference = sales.log_complaint()["reference"]
    drain_outbox()
    task = quality.open_task(reference, "quality_assessment")
    text = "@technical can you bench-test lot L-2026-114 at 6 bar? Mail jane@acme.example back."
    posted = quality.post(
        f"/complaints/{reference}/comments", json={"body": text, "task_id": task["id"]}
    )
    assert posted.status_code == 201, posted.text
    comment = posted.json()
    assert (comment["author"], comment["mentions"], comment["task_id"]) == (
        "quality",
        ["technical"],
        task["id"],
    )
    drain_outbox()
    (mail,) = [m for m in mailbox.snapshot() if "mentioned you" in subject_of(m)]
    assert mail["To"] == "technical@example.com"
    assert subject_of(mail).endswith(f"mentioned you on {reference}")
    assert "bench-test lot L-2026-114" in mail_body(mail)

    record = sales.record(reference)
    assert [c["body"] for c in record["comments"]] == [text]
    (entry,) = [e for e in record["history"] if e["action"] == "comment_added"]
    assert entry["actor"] == "quality"
    assert entry["changes"]["comment_text"] == text
    assert entry["changes"]["mentions"] == ["technical"]
    listed = as_user("technical").get(f"/complaints/{reference}/comments").json()
    assert [c["id"] for c in listed] == [comment["id"]]


def test_bad_comments_are_refused_and_nothing_is_kept(as_user, mailbox):
    sales = as_user("sales")
    reference = sales.log_complaint()["reference"]
    other = sales.log_complaint()["reference"]
    foreign_task = as_user("quality")
    drain_outbox()
    task_of_other = foreign_task.open_task(other, "quality_assessment")["id"]
    path = f"/complaints/{reference}/comments"
    unknown = sales.post(path, json={"body": "@nobody-here please look"})
    assert unknown.status_code == 422
    assert "no active colleague is called @nobody-here" in str(unknown.json()["detail"])
    wrong_task = sales.post(path, json={"body": "About this task.", "task_id": task_of_other})
    assert wrong_task.status_code == 422
    assert f"task {task_of_other} is not a task of {reference}" in str(wrong_task.json())
    assert sales.post(path, json={"body": ""}).status_code == 422
    assert sales.post(path, json={"body": "x" * 5001}).status_code == 422
    assert (
        sales.post("/complaints/CMP-1999-000001/comments", json={"body": "Hi"}).status_code == 404
    )
    assert sales.get(path).json() == []
    assert not [e for e in sales.record(reference)["history"] if e["action"] == "comment_added"]


def test_mentions_are_usernames_not_mail_addresses():
    text = "Ask @technical and @production. Not jane@acme.example nor a lone @ sign; @quality."
    assert mentioned_usernames(text) == ["production", "quality", "technical"]


def test_the_complaint_page_shows_one_conversation_and_posts_comments(as_user, browser):  # noqa: F811
    sales_api = as_user("sales")
    reference = sales_api.log_complaint()["reference"]
    quality = browser("quality")
    page = f"/complaints/{reference}"
    posted = quality.form(
        f"{page}/comments",
        {"body": "Seal looks like batch 7 again, @sales please ask for a photo."},
        page=page,
    )
    assert posted.status_code == 303
    shown = quality.client.get(page).text
    conversation = shown.split('id="conversation"')[1].split("</section>")[0]
    assert "Seal looks like batch 7 again" in conversation
    assert "Comment posted; mailed @sales." in shown
    refused = quality.form(f"{page}/comments", {"body": "@ghost look"}, page=page)
    assert refused.status_code == 303
    assert "Not posted: no active colleague is called @ghost" in quality.client.get(page).text
