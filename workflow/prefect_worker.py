"""The stack's Prefect worker: register prefect.yaml's deployments, then serve the pool.

``python -m workflow.prefect_worker``, a child of `complaints run`. The set-up (create the
work pool, deploy) needs the Prefect server, which starts beside it and may be down or
restarting. So it waits for the server; if the server does not answer in time or a set-up
command fails, it exits non-zero and the supervisor starts it again with backoff. A Prefect
server that is down delays the worker; it no longer stops the stack. Deploying again on every
start is harmless: it updates the deployments in place.
"""

import os
import subprocess
import sys

from workflow.config import get_settings
from workflow.stack import PROJECT_DIR, WORK_POOL, http_ok, prefect_command, wait_until

WAIT_FOR_PREFECT_SECONDS = 120.0


def set_up_commands() -> list[list[str]]:
    return [
        prefect_command("work-pool", "create", WORK_POOL, "--type", "process", "--overwrite"),
        prefect_command("--no-prompt", "deploy", "--all"),
    ]


def set_up() -> str | None:
    """Wait for the Prefect server, create the pool, deploy; what failed, or None."""
    try:
        wait_until(
            http_ok(f"{get_settings().prefect_api_url}/health"),
            timeout=WAIT_FOR_PREFECT_SECONDS,
            what="Prefect server",
        )
    except RuntimeError as exc:
        return str(exc)
    for command in set_up_commands():
        done = subprocess.run(command, cwd=PROJECT_DIR, check=False)  # noqa: S603 - fixed commands
        if done.returncode != 0:
            return f"`prefect {' '.join(command[3:5])}` failed (exit code {done.returncode})"
    return None


def main() -> None:
    failure = set_up()
    if failure:
        print(f"worker set-up: {failure}; exiting, to be started again", flush=True)
        sys.exit(1)
    worker = prefect_command("worker", "start", "--pool", WORK_POOL)
    sys.stdout.flush()
    os.execv(worker[0], worker)  # noqa: S606 - the same pid serves the pool


if __name__ == "__main__":
    main()
