"""A throwaway PostgreSQL cluster for ``python -m bench --postgres``, as ``.ci/run`` starts one.

``.ci/postgres.sh`` creates and starts it in a temporary directory on a free port; it is
stopped and its data deleted when the run ends, also on an error or Ctrl-C. Every bench stack
gets two fresh databases in it: one for our tables (``CW_DATABASE_URL``) and one for the
Prefect server (``PREFECT_API_DATABASE_CONNECTION_URL``), so no stack sees another's rows.
"""

import itertools
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.stack import free_port
from workflow.stack import PROJECT_DIR

POSTGRES_SCRIPT = PROJECT_DIR / ".ci" / "postgres.sh"


@dataclass
class PostgresCluster:
    url: str  # the cluster's own database, as .ci/postgres.sh prints it
    numbers: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def fresh_environment(self) -> dict[str, str]:
        """Settings pointing our tables and the Prefect server at two new, empty databases."""
        number = next(self.numbers)
        ours, prefect = f"bench_{number}", f"bench_prefect_{number}"
        admin = create_engine(self.url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            for name in (ours, prefect):
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                connection.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        base = make_url(self.url)
        prefect_url = base.set(drivername="postgresql+asyncpg", database=prefect)
        return {
            "CW_DATABASE_URL": base.set(database=ours).render_as_string(hide_password=False),
            "PREFECT_API_DATABASE_CONNECTION_URL": prefect_url.render_as_string(
                hide_password=False
            ),
        }


@contextmanager
def postgres_cluster() -> Iterator[PostgresCluster]:
    directory = Path(tempfile.mkdtemp(prefix="cw-bench-pg-"))
    cluster_dir, port = directory / "pg", free_port()
    try:
        started = subprocess.run(
            ["bash", str(POSTGRES_SCRIPT), "start", str(cluster_dir), str(port)],
            cwd=PROJECT_DIR,
            capture_output=True,
            text=True,
            check=False,
        )
        url = started.stdout.strip().splitlines()[-1] if started.stdout.strip() else ""
        if started.returncode != 0 or not url.startswith("postgresql"):
            raise RuntimeError(f"PostgreSQL did not start: {started.stderr[-2000:]}")
        print(f"PostgreSQL cluster in {cluster_dir} on port {port}", flush=True)
        yield PostgresCluster(url)
    finally:
        subprocess.run(
            ["bash", str(POSTGRES_SCRIPT), "destroy", str(cluster_dir)],
            cwd=PROJECT_DIR,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        shutil.rmtree(directory, ignore_errors=True)


def postgres_installed() -> bool:
    """Whether ``.ci/postgres.sh`` finds PostgreSQL's binaries without installing them."""
    return bool(shutil.which("initdb")) or any(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
