"""What a campaign part found: figures for the table and every requirement it saw broken."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class PartResult:
    part: str
    figures: list[tuple[str, str]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    """Each broken requirement, with enough detail to reproduce it (input, file, seed)."""
    notes: list[str] = field(default_factory=list)
    """What was not run and why (e.g. no permission to mount a small file system)."""
    seconds: float = 0.0

    def figure(self, name: str, value: object) -> None:
        self.figures.append((name, str(value)))

    def fail(self, message: str) -> None:
        self.failures.append(message)

    def check(self, ok: bool, message: str) -> bool:
        if not ok:
            self.fail(message)
        return ok

    @property
    def passed(self) -> bool:
        return not self.failures


def render_table(results: list[PartResult]) -> str:
    """One Markdown table of every figure, then the broken requirements (if any) and notes."""
    lines = ["| part | figure | value |", "|---|---|---|"]
    for result in results:
        for index, (name, value) in enumerate(result.figures):
            label = f"{result.part} ({result.seconds:.0f} s)" if index == 0 else ""
            lines.append(f"| {label} | {name} | {value} |")
    failures = [f"{r.part}: {f}" for r in results for f in r.failures]
    lines.append("")
    if failures:
        lines.append(f"REQUIREMENTS BROKEN ({len(failures)}):")
        lines.extend(f"  - {f}" for f in failures[:60])
        if len(failures) > 60:
            lines.append(f"  ... and {len(failures) - 60} more")
    else:
        lines.append("All requirements met.")
    notes = [f"{r.part}: {n}" for r in results for n in r.notes]
    lines.extend(f"note: {n}" for n in notes)
    return "\n".join(lines)


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (share in 0..1) of a non-empty list."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, int(round(share * len(ordered) + 0.5)) - 1))
    return ordered[rank]
