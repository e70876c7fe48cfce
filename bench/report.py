"""Figures, their targets, and the results files (JSON for machines, Markdown for people)."""

import json
import os
import platform
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).parent / "results"


@dataclass
class Figure:
    section: str
    name: str
    value: float
    unit: str
    baseline: float | None = None
    baseline_label: str = ""
    target: str = ""
    met: bool | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if not self.baseline or self.value is None:
            return None
        return self.value / self.baseline


def at_least(value: float, limit: float) -> bool:
    return value >= limit


def at_most(value: float, limit: float) -> bool:
    return value <= limit


@dataclass
class Results:
    mode: str
    database: str = "SQLite"  # where our tables and the Prefect server's live
    started_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    machine: dict[str, Any] = field(default_factory=lambda: machine())
    figures: list[Figure] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)

    def add(self, figure: Figure) -> Figure:
        self.figures.append(figure)
        print(
            f"  {figure.section:>13} | {figure.name}: {_number(figure.value)} {figure.unit}"
            f"{'' if figure.ratio is None else f' ({figure.ratio:.2f}x baseline)'}"
            f"{'' if figure.met is None else ('  met' if figure.met else '  MISSED')}",
            flush=True,
        )
        return figure

    def to_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "database": self.database,
            "started_at": self.started_at,
            "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": self.machine,
            "figures": [{**asdict(f), "ratio": f.ratio} for f in self.figures],
            "errors": self.errors,
        }

    def write(self, directory: Path = RESULTS_DIR, name: str = "latest") -> tuple[Path, Path]:
        directory.mkdir(parents=True, exist_ok=True)
        json_path = directory / f"{name}.json"
        md_path = directory / f"{name}.md"
        json_path.write_text(json.dumps(self.to_json(), indent=2) + "\n")
        md_path.write_text(self.markdown())
        return json_path, md_path

    def markdown(self) -> str:
        m = self.machine
        lines = [
            f"Benchmark run of {self.started_at[:16].replace('T', ' ')} UTC, {self.mode} mode, "
            f"on {m['cores']} cores, {m['memory_gb']} GB memory ({m['cpu']}), Python "
            f"{m['python']}, on {self.database}. Every ratio is against a baseline measured in "
            "the same run.",
            "",
            "| section | figure | value | baseline | ratio | target | met |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        for f in self.figures:
            baseline = (
                f"{_number(f.baseline)} {f.unit} ({f.baseline_label})"
                if f.baseline is not None
                else ""
            )
            ratio = "" if f.ratio is None else f"{f.ratio:.2f}x"
            met = "" if f.met is None else ("yes" if f.met else "**no**")
            note = f" ({f.note})" if f.note else ""
            lines.append(
                f"| {f.section} | {f.name}{note} | {_number(f.value)} {f.unit} | {baseline} | "
                f"{ratio} | {f.target} | {met} |"
            )
        for section, error in self.errors.items():
            lines.append(f"\n**{section} failed:** {error}")
        return "\n".join(lines) + "\n"


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def machine() -> dict[str, Any]:
    memory_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory_kb = int(line.split()[1])
    cpu = platform.processor() or platform.machine()
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return {
        "cores": os.cpu_count(),
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "cpu": cpu,
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
    }
