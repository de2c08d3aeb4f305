"""A turn's tool results in words: a photo's analysis, a denoise run (or why it did not run), a failed tool call.

The composer quotes them with their numbers; nothing here decides anything.
"""
from __future__ import annotations

from collections.abc import Mapping

from agent.core.prose import degradation_words, finding_words
from agent.core.prose import join as _join
from agent.core.templates import fill
from tools.degradation_terms import degradations_in
from tools.records import DEGRADATIONS

def analysis_degradations(analysis: Mapping) -> list[str]:
    """Vocabulary keys among an analysis's findings (strings or dicts with a name)."""
    keys = []
    for item in analysis.get("degradations") or analysis.get("findings") or ():
        name = item if isinstance(item, str) else first_of(item, "degradation", "name", "key", "kind")
        if isinstance(name, str):
            keys += [name] if name in DEGRADATIONS else list(degradations_in(name))
    return list(dict.fromkeys(keys))


def analysis_path(analysis: Mapping) -> str:
    return str(first_of(analysis, "path", "input", "image") or "the photo")


def analysis_sentence(analysis: Mapping) -> str:
    parts = []
    sigma = first_of(analysis, "noise_sigma", "sigma", "noise_level")
    if isinstance(sigma, (int, float)):
        parts.append(f"estimates the noise level at sigma {float(sigma):.1f} (0-255 scale{_noise_detail(analysis)})")
    findings = []
    for item in analysis.get("degradations") or analysis.get("findings") or ():
        if isinstance(item, str):
            findings.append(degradation_words(item))
        elif isinstance(item, Mapping):
            findings.append(finding_words({"degradation": first_of(item, "degradation", "name", "key", "kind"),
                                           "severity": first_of(item, "severity", "score")}))
    parts.append(f"finds {_join(findings)}" if findings else "finds no marked degradation")
    return fill("analysis", path=analysis_path(analysis), findings=" and ".join(parts))


def _noise_detail(analysis: Mapping) -> str:
    """The range, kind and confidence of a noise estimate, where the analysis gives them."""
    low, high, kind = analysis.get("noise_low"), analysis.get("noise_high"), analysis.get("noise_kind")
    parts = [f"range {low:.1f}-{high:.1f}"] if isinstance(low, (int, float)) and isinstance(high, (int, float)) \
        and high - low >= 0.1 else []
    parts += [f"{kind} noise"] if kind and kind != "none" else ["no visible noise"] if kind == "none" else []
    confidence = analysis.get("noise_confidence")
    parts += [f"confidence {confidence:.1f}"] if isinstance(confidence, (int, float)) else []
    return "".join(f"; {part}" for part in parts)


def denoise_sentence(run: Mapping) -> str:
    decision = run.get("decision") or {}
    if decision and not decision.get("denoise", True):
        return fill("denoise.skipped", input=run.get("input", "the photo"), reason=decision.get("reason", ""))
    check = run.get("check") or {}
    verdict = ""
    if check:
        verdict = " " + fill("denoise.check" if check.get("ok") else "denoise.check-failed",
                             verdict=check.get("verdict", ""))
    forced = " " + fill("denoise.forced", reason=decision.get("reason", "")) if decision.get("forced") else ""
    return _run_sentence(run) + forced + verdict


def _run_sentence(run: Mapping) -> str:
    level = run.get("noise_level")
    psnr, ssim = run.get("psnr"), run.get("ssim")
    quality = ""
    if isinstance(psnr, (int, float)):
        quality = f"; PSNR {psnr:.2f} dB" + (f", SSIM {ssim:.3f}" if isinstance(ssim, (int, float)) else "")
        quality += " against the clean reference"
    return fill(
        "denoise",
        model=run.get("model") or "SwinIR",
        input=run.get("input", "the photo"),
        output=run.get("output", "the output"),
        level=f" at noise level {level}" if level is not None else "",
        matching=_matching(run.get("contrast")),
        seconds=f"{float(run.get('seconds') or 0):.2f}",
        megapixels=f"{float(run.get('megapixels') or 0):.2f}",
        quality=quality,
    )


def failure_sentence(failure: Mapping) -> str:
    args = failure.get("args") or {}
    target = args.get("path") or args.get("query") or ""
    return fill("tool-failure", tool=failure.get("name", "a tool"), target=f" on `{target}`" if target else "",
                error=str(failure.get("error") or "unknown error").rstrip("."))


def _matching(contrast: object) -> str:
    """Words for a noise-matched run (the photo ran at another contrast so its noise fit the weights)."""
    if not isinstance(contrast, (int, float)) or abs(contrast - 1.0) < 1e-3:
        return ""
    return f", with the photo's noise matched to the weights' training noise (input contrast x{contrast:.2f})"


def first_of(mapping: Mapping, *keys: str) -> object:
    """The first of ``keys`` that ``mapping`` gives a value for."""
    return next((mapping[key] for key in keys if mapping.get(key) is not None), None)
