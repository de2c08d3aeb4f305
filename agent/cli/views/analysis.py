"""Rich rendering of an image analysis: one table of measurements, then findings and recommendations."""
from __future__ import annotations

from rich.console import Console
from rich.table import Table

from tools.analyzer import Analysis

SEVERITY_STYLE = {"none": "green", "mild": "yellow", "moderate": "dark_orange", "severe": "bold red"}


def _value(analysis: Analysis, name: str) -> str:
    m = getattr(analysis, name)
    values = {
        "noise": lambda: "-" if m.sigma is None else f"{m.kind}, sigma {m.sigma:.1f}" + (
            f" ({m.low:.1f}-{m.high:.1f})" if m.high - m.low >= 0.5 else ""),
        "blur": lambda: "-" if m.width is None else f"{m.width:.2f} px",
        "jpeg": lambda: f"quality {m.quality}" if m.quality is not None else
        ("-" if m.blockiness is None else f"blockiness {m.blockiness:.2f}"),
        "exposure": lambda: "-" if m.p50 is None else f"median {m.p50:.0f}",
        "haze": lambda: "-" if m.dark_channel is None else f"dark channel {m.dark_channel:.0f}",
        "color": lambda: "-" if m.cast_factor is None else f"cast {m.cast_factor:.2f}",
        "resolution": lambda: f"{m.width}x{m.height}",
        "quality": lambda: "-" if m.piqe is None else f"PIQE {m.piqe:.1f}",
    }
    return values[name]()


def render_analysis(analysis: Analysis, console: Console | None = None) -> None:
    console = console or Console()
    table = Table(title=f"{analysis.image} ({analysis.width}x{analysis.height}, {analysis.mode})", title_justify="left")
    for column in ("measurement", "value", "severity", "evidence"):
        table.add_column(column, overflow="fold")
    for name in analysis.MEASUREMENTS:
        m = getattr(analysis, name)
        table.add_row(name, _value(analysis, name), f"[{SEVERITY_STYLE[m.severity]}]{m.severity}[/]", m.evidence)
    console.print(table)
    for note in analysis.notes:
        console.print(f"note: {note}", highlight=False)
    if analysis.findings:
        found = ", ".join(f"{f.degradation} ({f.severity})" for f in analysis.findings)
        console.print(f"[bold]Findings:[/] {found}", highlight=False)
    else:
        console.print("[bold]Findings:[/] no degradation found", highlight=False)
    if analysis.recommendations:
        console.print("[bold]Recommendations:[/]")
        for rec in analysis.recommendations:
            console.print(f"  - [cyan]{rec.record}[/]: {rec.why}", highlight=False)
    elif analysis.findings:
        console.print("[bold]Recommendations:[/] no loaded record handles these findings")
    console.print(f"[dim]{analysis.seconds * 1000:.0f} ms[/]")
