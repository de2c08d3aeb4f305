"""The tables and outputs the pages show whole, each rendered from a results file (see ``bench/figures.py``)."""
from __future__ import annotations
