"""3. Burst: complaints posted as fast as the API takes them, until every one is routed and
acknowledged; lost and duplicate mails counted at the SMTP server. Then the API's memory."""

import time

from bench.load import post_all
from bench.report import Figure, Results, at_least, at_most
from bench.stack import BenchStack, token
from bench.workload import intake_request, wait_until_idle, wait_until_routed

TARGET_COUNT = 10_000
TARGET_SECONDS = 120.0


def measure_burst(results: Results, bench: BenchStack, *, count: int) -> None:
    wait_until_idle()
    began = time.time()
    posted = post_all(
        bench.api_url, intake_request(token(bench.api_url)), count=count, concurrency=16
    )
    references = [body["reference"] for _, _, body in posted.answers]
    done, per_notice, ended = wait_until_routed(bench, references, timeout=3 * TARGET_SECONDS)
    finished = max(done.values(), default=ended)
    seconds = finished - began
    rate = len(done) / seconds if seconds else 0.0
    needed = TARGET_COUNT / TARGET_SECONDS
    results.add(
        Figure(
            "burst",
            f"{count:,} complaints posted, routed and acknowledged",
            seconds,
            "s",
            target=f"10,000 in <= {TARGET_SECONDS:.0f} s",
            met=at_least(rate, needed)
            if count < TARGET_COUNT
            else at_most(seconds, TARGET_SECONDS),
            note=f"posting took {posted.seconds:.0f} s; {posted.errors} refused after 5 tries",
        )
    )
    results.add(
        Figure(
            "burst",
            "routed and acknowledged per second",
            rate,
            "complaints/s",
            target=f">= {needed:.1f}/s (10,000 in {TARGET_SECONDS:.0f} s)",
            met=at_least(rate, needed),
        )
    )
    lost = len(references) - len(done)
    duplicates = sum(n - 1 for n in per_notice.values() if n > 1)
    results.add(
        Figure(
            "burst",
            "lost (no task or no acknowledgement)",
            lost,
            "complaints",
            target="0",
            met=lost == 0,
        )
    )
    results.add(
        Figure(
            "burst",
            "duplicate mails at the SMTP server",
            duplicates,
            "mails",
            target="0",
            met=duplicates == 0,
            note=f"{sum(per_notice.values()):,} mails received",
        )
    )
    rss = bench.rss_mb("api")
    results.add(
        Figure(
            "footprint",
            "API resident memory after the burst",
            rss,
            "MB",
            target="<= 250 MB",
            met=at_most(rss, 250),
        )
    )
