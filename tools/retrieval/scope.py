"""Is a question about image restoration at all? Checked before ranking, so that an off-topic question is
refused rather than answered with whichever record happens to rank first."""
from __future__ import annotations

from dataclasses import dataclass

from tools.retrieval.tokens import tokenize


def _stems(text: str) -> frozenset[str]:
    return frozenset(tokenize(text, merge=False))


# Restoration tasks and methods: one of these alone puts a question in the domain.
TASK_TERMS = _stems(
    "restore restoration denoise denoiser deraining derain dehazing dehaze deblurring deblur degraded degradation "
    "artifacts super-resolution upscaling psnr ssim swinir dreamclear restormer hypernetwork dformer rformer "
    "moam genir all-in-one jpeg"
)
# The medium: with one symptom term ("a blurry photo") a question is in the domain, alone it is not.
MEDIUM_TERMS = _stems("image images photo photos photograph picture pixel")
# Symptoms and generic method words: ambiguous alone ("will it rain?"), not two together or with a medium.
WEAK_TERMS = _stems(
    "noise noisy rain rainy haze hazy fog foggy blur blurry light dark underexposed night exposure grain "
    "compression resolution transformer diffusion model architecture network sharp detail clean enhance "
    "camera frequency sigma gaussian damaged scratches faded old quality clear fix repair"
)
# Media the records do not cover: a question about them is out of scope unless it is about images too.
OTHER_MEDIA = _stems("audio speech sound music voice song podcast")


@dataclass(frozen=True)
class Scope:
    """The verdict with the domain terms that decided it."""

    in_scope: bool
    terms: tuple[str, ...]
    reason: str


def judge_scope(question: str, record_names: dict[str, str] | None = None) -> Scope:
    """Decide whether ``question`` is about image restoration.

    ``record_names`` maps a record id to a name the question may use for it (e.g. ``HAIR``); naming a
    record puts a question in scope. Names in capitals must appear in capitals, so "my hair" is no hit.
    """
    tokens = _stems(question)
    named = sorted(rid for rid, name in (record_names or {}).items() if _names(question, name))
    task, medium, weak = (sorted(tokens & terms) for terms in (TASK_TERMS, MEDIUM_TERMS, WEAK_TERMS))
    terms = tuple(task + medium + weak + named)
    if tokens & OTHER_MEDIA and not medium:
        return Scope(False, terms, "it is about another medium than images")
    if named or task or (medium and weak) or len(weak) >= 2:
        return Scope(True, terms, "it uses image-restoration terms")
    return Scope(False, terms, "it has no image-restoration terms")


def _names(question: str, name: str) -> bool:
    if name.isupper():
        return f" {name} " in f" {_plain(question)} "
    return f" {name.lower()} " in f" {_plain(question).lower()} "


def _plain(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch == "-" else " " for ch in text)
