"""Rich rendering of an image analysis: one table of measurements, then findings and recommendations."""
from __future__ import annotations

from rich.console import Console, Group
from agent.cli.echo import name as shown_name
from agent.cli.views.console import terminal
from rich.markup import escape
from rich.table import Table
from rich.text import Text

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


def analysis_view(analysis: Analysis) -> Group:
    """The table of measurements, the notes, the findings in words and the recommendations."""
    table = Table(title=f"{escape(shown_name(analysis.image))} ({analysis.width}x{analysis.height}, {analysis.mode})", title_justify="left")
    for column in ("measurement", "value", "severity", "evidence"):
        table.add_column(column, overflow="fold")
    for name in analysis.MEASUREMENTS:
        m = getattr(analysis, name)
        table.add_row(name, _value(analysis, name), f"[{SEVERITY_STYLE[m.severity]}]{m.severity}[/]", m.evidence)
    parts: list = [table, *(Text(f"note: {note}") for note in analysis.notes)]
    parts.append(Text.from_markup(f"[bold]Findings:[/] {escape(findings_words(analysis))}"))
    if analysis.recommendations:
        parts.append(Text.from_markup("[bold]Recommendations:[/]"))
        parts += [Text.from_markup(f"  - [cyan]{escape(rec.record)}[/]: {escape(rec.why)}")
                  for rec in analysis.recommendations]
    elif analysis.findings:
        parts.append(Text.from_markup("[bold]Recommendations:[/] no loaded record handles these findings"))
    parts.append(Text(f"{analysis.seconds * 1000:.0f} ms", style="dim"))
    return Group(*parts)


def findings_words(analysis: Analysis) -> str:
    """The findings in words (``moderate Gaussian-like noise, mild low resolution``)."""
    from agent.core.prose import finding_words

    return ", ".join(finding_words(f.to_dict()) for f in analysis.findings) or "no degradation found"


def analysis_markdown(analysis: Analysis, path: str) -> str:
    """The same analysis as Markdown, for the chat's transcript and plain output."""
    rows = [f"| {name} | {_value(analysis, name)} | {getattr(analysis, name).severity} | "
            f"{getattr(analysis, name).evidence.replace('|', '/')} |" for name in analysis.MEASUREMENTS]
    lines = [f"`{path}` ({analysis.width}x{analysis.height}, {analysis.mode})", "",
             "| measurement | value | severity | evidence |", "| --- | --- | --- | --- |", *rows, "",
             *(f"- note: {note}" for note in analysis.notes), f"**Findings:** {findings_words(analysis)}"]
    lines += [f"- `{rec.record}`: {rec.why}" for rec in analysis.recommendations]
    return "\n".join(lines)


def render_analysis(analysis: Analysis, console: Console | None = None) -> None:
    (console or terminal()).print(analysis_view(analysis), highlight=False)
