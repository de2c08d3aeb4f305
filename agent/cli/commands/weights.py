"""`restore-agent weights list|install|download`: the SwinIR checkpoints this machine can use."""
from __future__ import annotations

from pathlib import Path

import typer
from agent.cli.views.console import terminal
from rich.markup import escape
from rich.table import Table

from agent.cli.echo import name

from agent.cli.views.progress import progress_bar

app = typer.Typer(help="SwinIR denoising weights: what is known, what is installed, how to get more.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)


@app.command("list")
def list_weights() -> None:
    """Show the known checkpoints, which are installed, and where."""
    from tools.errors import UserError
    from tools.swinir import weights as registry

    try:
        default_id = registry.resolve(noise_level=15, gray=False).id
    except UserError:
        default_id = None
    table = Table(title=f"SwinIR weights in {escape(name(registry.weights_dir()))}")
    table.add_column("id", no_wrap=True)
    table.add_column("photos", no_wrap=True)
    table.add_column("status")
    table.add_column("file", overflow="fold")
    for entry in registry.entries():
        source = registry.source_of(entry) if entry.available and entry.kind == "official" else None
        status = ("embedded (trained by this project)" if entry.kind == "embedded"
                  else "installed" if entry.available else "not installed")
        if entry.id == default_id:
            status += ", default"
        where = str(entry.path) if entry.available else entry.file_name
        table.add_row(entry.id, f"{entry.color}, noise {entry.noise_level}", status,
                      escape(name(where + (f" (from {source})" if source else ""))))
    console = terminal()
    console.print(table)
    console.print(f"Official files download from {registry.RELEASE_URL}; get one with "
                  "`restore-agent weights download ID` or `restore-agent weights install PATH`.", highlight=False)


@app.command("install")
def install(
    path: Path = typer.Argument(..., help="A SwinIR denoising checkpoint (.pth) on this machine."),
    entry_id: str = typer.Option(None, "--id", help="Which weights it is, when the file name does not say."),
) -> None:
    """Check that a checkpoint loads, recognise it, and copy it into the weights folder."""
    from tools.swinir import weights as registry

    entry = registry.install(path, entry_id)
    terminal().print(f"installed {entry.id} ({entry.color}, noise {entry.noise_level}) at {name(entry.path)}",
                     highlight=False, markup=False)


@app.command("download")
def download(entry_id: str = typer.Argument(..., help="Weights id, e.g. swinir-m-color-noise15.")) -> None:
    """Download an official checkpoint from the SwinIR release page, check it, and install it."""
    from tools.swinir import weights as registry

    with progress_bar(f"downloading {entry_id}", transfer=True) as update:
        entry = registry.download(entry_id, progress=update)
    terminal().print(f"downloaded {entry.id} to {name(entry.path)}", highlight=False, markup=False)
