"""Other ways to run the same network: eager PyTorch (what ships), ONNX Runtime, and ``torch.compile``.

One fixed-size noisy photo (astronaut resized, sigma 15) through each shipped embedded network, in this one
process, best of ``--repeats`` runs after a warm-up run:

* ``eager``: ``tools.swinir.model`` as ``denoise`` runs it (fused oneDNN kernels, fused attention);
* ``onnxruntime``: the network exported with ``torch.onnx.export`` (reference attention, the input's fixed shape)
  and run by ONNX Runtime's CPU provider with the same number of threads; export time apart;
* ``compile``: ``torch.compile`` (inductor), compile time apart from the steady runs.

A path is worth adopting when it is more than 20% faster than eager with outputs within 1e-4 (the issue's bar).
Writes ``bench/results/inference_paths.json`` (``--out`` elsewhere) with the machine block. Needs ``onnx`` and
``onnxruntime`` (``pip install -e '.[bench]'``); a C++ compiler for ``compile``.

    python bench/inference_paths.py [--size 512x384] [--repeats 3] [--weights swinir-half-noise15 ...]
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from machine import recorded
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results" / "inference_paths.json"
ADOPT_SPEEDUP, ADOPT_DIFF = 1.2, 1e-4
console = Console(width=150)


def best_of(run, repeats: int) -> float:
    """Seconds of the fastest of ``repeats`` runs, after one warm-up."""
    run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def onnx_session(model, x, folder: Path, threads: int):
    """The network exported to ONNX at ``x``'s shape and opened in ONNX Runtime; and the export's seconds."""
    import onnxruntime
    import torch

    path = folder / "network.onnx"
    start = time.perf_counter()
    model.set_attention("reference")
    torch.onnx.export(model, (x,), str(path), dynamo=False, opset_version=17, input_names=["x"], output_names=["y"])
    model.set_attention("fast")
    seconds = time.perf_counter() - start
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"]), seconds


def measure(weights_id: str, height: int, width: int, repeats: int, folder: Path) -> list[dict]:
    """Each path's best seconds, s/MP, speed-up over eager and largest output difference, for one network."""
    import torch

    from swinir_speed import noisy_photo
    from tools.swinir import load_swinir, weights

    model = load_swinir(weights.find(weights_id).path)
    pixels = noisy_photo(height, width).astype(np.float32) / 255.0
    channels = model.config["in_chans"]
    x = torch.from_numpy(np.ascontiguousarray(pixels.transpose(2, 0, 1)[:channels]))[None]
    mp, threads = height * width / 1e6, torch.get_num_threads()
    with torch.inference_mode():
        reference = model(x)
        rows = [dict(path="eager", seconds=best_of(lambda: model(x), repeats), setup_s=0.0, max_abs_diff=0.0)]
    session, export_s = onnx_session(model, x, folder, threads)
    feed = {"x": x.numpy()}
    out = session.run(None, feed)[0]
    rows.append(dict(path="onnxruntime", seconds=best_of(lambda: session.run(None, feed), repeats), setup_s=export_s,
                     max_abs_diff=float(np.abs(out - reference.numpy()).max())))
    compiled = torch.compile(model, dynamic=False)
    start = time.perf_counter()
    with torch.inference_mode():
        out = compiled(x)
        setup = time.perf_counter() - start
        rows.append(dict(path="compile", seconds=best_of(lambda: compiled(x), repeats), setup_s=setup,
                         max_abs_diff=float((out - reference).abs().max())))
    eager = rows[0]["seconds"]
    for row in rows:
        row.update(weights=weights_id, size=f"{width}x{height}", s_per_mp=row["seconds"] / mp,
                   speedup=eager / row["seconds"], threads=threads,
                   adopt=bool(eager / row["seconds"] > ADOPT_SPEEDUP and row["max_abs_diff"] <= ADOPT_DIFF))
        console.print(f"{weights_id} {row['path']}: {row['s_per_mp']:.2f} s/MP ({row['speedup']:.2f}x eager), "
                      f"setup {row['setup_s']:.1f} s, max |diff| {row['max_abs_diff']:.1e}")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="512x384", help="WIDTHxHEIGHT")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--weights", nargs="+", help="embedded networks (default: every color sigma-15 one)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    from swinir_speed import embedded_networks

    from tools.fileio import write_text_atomic
    from tools.swinir.runtime import configure_process

    args.weights = args.weights or embedded_networks()
    configure_process()
    width, height = map(int, args.size.split("x"))
    with recorded() as machine, tempfile.TemporaryDirectory(prefix="inference-paths-") as tmp:
        rows = [row for w in args.weights for row in measure(w, height, width, args.repeats, Path(tmp))]
    table = Table(title=f"inference paths at {args.size}")
    for column in ("weights", "path", "s/MP", "vs eager", "setup s", "max |diff|", "adopt"):
        table.add_column(column)
    for r in rows:
        table.add_row(r["weights"], r["path"], f"{r['s_per_mp']:.2f}", f"{r['speedup']:.2f}x", f"{r['setup_s']:.1f}",
                      f"{r['max_abs_diff']:.1e}", "yes" if r["adopt"] else "no")
    console.print(table)
    write_text_atomic(args.out, json.dumps({"protocol": __doc__.split("\n\n")[1], "machine": machine, "rows": rows,
                                            "adopt_rule": {"speedup": ADOPT_SPEEDUP, "max_abs_diff": ADOPT_DIFF}},
                                           indent=2) + "\n")
    console.print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
