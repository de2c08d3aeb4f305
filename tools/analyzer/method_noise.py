"""Check a denoise run without a clean reference: is what it removed (input - output) only noise?

Three questions, each answered by a measurement on the two images:

- does the residual look like noise? Residual energy that follows the image's edges and texture means the
  run removed structure (``edge_correlation`` of block residual std against block edge strength). Blocks
  where the input is clipped (over ``CLIPPED_LIMIT`` of their pixels at 0 or 255) are left out: clipping holds
  their noise back, and such blocks are mostly flat (a sky blown to white, a black background), so they would
  tie low residual energy to weak edges for a reason that is not the run's. On the clean photo itself, as
  the output of a perfect denoiser, of a photo with clipped sigma-15 noise, the correlation over every block
  reads +0.73 (astronaut) and +0.40 (coffee); without the clipped blocks it reads -0.01 and -0.04;
- how much was removed, against what the input's measured noise predicts (``excess``). The check works on
  luma, the mean of the colour channels: noise drawn independently in each of three channels averages down
  to sigma / sqrt(3) there, so a colour photo measured at sigma 18.3 predicts a removed luma std of 10.6;
  noise that is the same in every channel (luminance-only) and a gray photo predict sigma itself;
- did the no-reference quality score (PIQE, lower is better) get worse? PIQE also rises when a run smooths
  noise away from flat areas, so a worse score fails the check only beside another problem; alone it is a note.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
from scipy import ndimage

BLOCK = 16
EDGE_LIMIT = 0.2        # residual energy this correlated with edges is structure, not noise
EXCESS_LIMIT = 1.6      # removed std over the predicted noise std
MIN_REMOVED = 1.0       # below this residual std nothing visible was removed
PIQE_LIMIT = 10.0       # PIQE points worse that count as a worse photo
CLIPPED_LIMIT = 0.05    # a block with more of its pixels at 0 or 255 than this is left out of the edge test
MIN_BLOCKS = 16         # fewer unclipped blocks than this: no edge correlation (its standard error would be over 0.25)


@dataclass
class ResidualCheck:
    """The verdict on a run and the numbers behind it."""

    ok: bool
    edge_correlation: float | None  # None: too few unclipped blocks for a correlation to mean anything
    removed_std: float
    expected_std: float
    piqe_before: float | None = None
    piqe_after: float | None = None
    prediction: str = ""  # how expected_std follows from the measured sigma, in one clause
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # observations that do not fail the check on their own

    @property
    def verdict(self) -> str:
        """One sentence: what the check found."""
        if self.ok:
            note = f"; although it {self.notes[0]}" if self.notes else ""
            edges = (f"edge correlation {self.edge_correlation:+.2f}" if self.edge_correlation is not None else
                     f"edge correlation not measured: under {MIN_BLOCKS} unclipped {BLOCK} px blocks")
            return (f"the removed residual looks like noise ({edges}; "
                    f"removed std {self.removed_std:.1f}, about the {self.expected_std:.1f} predicted: "
                    f"{self.prediction}){note}")
        return "; ".join(self.problems)

    def to_dict(self) -> dict:
        return {**asdict(self), "verdict": self.verdict}


def _luma(pixels: np.ndarray) -> np.ndarray:
    image = np.asarray(pixels, dtype=np.float32)
    return image.mean(axis=2) if image.ndim == 3 else image


def _at_limit(pixels: np.ndarray) -> np.ndarray:
    """1 where a pixel is at 0 or 255 (in any channel), else 0."""
    image = np.asarray(pixels)
    at_limit = (image <= 0) | (image >= 255)
    return (at_limit.any(axis=2) if image.ndim == 3 else at_limit).astype(np.float32)


def _blocks(plane: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """The plane's top-left ``rows`` x ``cols`` blocks of BLOCK px, as (rows, BLOCK, cols, BLOCK)."""
    return plane[:rows * BLOCK, :cols * BLOCK].reshape(rows, BLOCK, cols, BLOCK)


def _edge_correlation(edges: np.ndarray, energy: np.ndarray) -> float | None:
    """Correlation of log residual energy with log edge strength over blocks; None under MIN_BLOCKS blocks."""
    if edges.size < MIN_BLOCKS:
        return None
    if edges.std() == 0 or energy.std() == 0:
        return 0.0
    return float(np.corrcoef(np.log(edges + 1e-3), np.log(energy + 1e-3))[0, 1])


def predicted_residual(sigma: float | None, kind: str, channels: int) -> float:
    """Std of the luma residual that removing the measured noise would leave (independent channel noise
    averages down by sqrt(3) in luma; luminance-only noise does not)."""
    sigma = sigma or 0.0
    return sigma if channels == 1 or kind == "luminance" else sigma / np.sqrt(3)


def prediction_words(sigma: float | None, kind: str, channels: int) -> str:
    """Why the predicted removal is what it is, in one clause."""
    sigma = sigma or 0.0
    if channels == 1:
        return f"the measured sigma {sigma:.1f} itself, on a gray photo"
    if kind == "luminance":
        return f"the measured sigma {sigma:.1f} itself, as the noise is the same in every channel"
    return (f"the measured sigma {sigma:.1f} / sqrt(3), as the check compares luma, the mean of three channels "
            "whose independent noise averages down")


def check_residual(before: np.ndarray, after: np.ndarray, sigma: float | None, kind: str,
                   piqe_before: float | None = None, piqe_after: float | None = None) -> ResidualCheck:
    """Compare what a run removed with the noise measured on its input."""
    residual = _luma(before) - _luma(after)
    smooth = ndimage.gaussian_filter(_luma(after), 1.0)
    rows, cols = residual.shape[0] // BLOCK, residual.shape[1] // BLOCK
    gy, gx = np.gradient(smooth[:rows * BLOCK, :cols * BLOCK])
    edges = _blocks(np.sqrt(gx**2 + gy**2), rows, cols).mean(axis=(1, 3)).ravel()
    energy = _blocks(residual, rows, cols).std(axis=(1, 3)).ravel()
    unclipped = _blocks(_at_limit(before), rows, cols).mean(axis=(1, 3)).ravel() <= CLIPPED_LIMIT
    correlation = _edge_correlation(edges[unclipped], energy[unclipped])
    removed = float(residual.std())
    channels = 1 if np.ndim(before) == 2 else 3
    expected = float(predicted_residual(sigma, kind, channels))
    problems = []
    if removed >= MIN_REMOVED and correlation is not None and correlation > EDGE_LIMIT:
        problems.append(f"removed image structure along with the noise (the residual follows the image's edges, "
                        f"correlation {correlation:+.2f})")
    if removed >= MIN_REMOVED and removed > EXCESS_LIMIT * max(expected, 0.5):
        problems.append(f"removed texture as well as noise (residual std {removed:.1f} against {expected:.1f} "
                        f"predicted: {prediction_words(sigma, kind, channels)})")
    notes = []
    if piqe_before is not None and piqe_after is not None and piqe_after > piqe_before + PIQE_LIMIT:
        worse = (f"made the no-reference quality score worse (PIQE {piqe_before:.1f} -> {piqe_after:.1f}, "
                 "lower is better)")
        # PIQE also rises when noise is smoothed away, so alone it is a note; beside another problem it is one more
        (problems if problems else notes).append(worse)
    correlation = None if correlation is None else round(correlation, 3)
    return ResidualCheck(not problems, correlation, round(removed, 2), round(expected, 2),
                         piqe_before, piqe_after, prediction_words(sigma, kind, channels), problems, notes)
