"""A turn's tool results in words: what a photo's analysis measured, and a failed tool call.

The composer quotes them with their numbers; nothing here decides anything. A denoise run's words are in
:mod:`agent.core.run_prose`.
"""
from __future__ import annotations

from collections.abc import Mapping

from agent.core.prose import finding_words
from agent.core.prose import join as _join
from agent.core.templates import fill
from tools.degradation_terms import degradations_in
from tools.records import DEGRADATIONS

NOISE_KINDS = {"white": "white noise", "correlated": "grain (spatially correlated noise)",
               "luminance": "luminance-only noise (the same in every channel)",
               "signal-dependent": "signal-dependent noise (stronger in bright areas)", "none": "no visible noise"}
NOISE_FINDINGS = ("gaussian-noise", "noise")  # findings that the noise measurement itself says


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


def noise_evidence(analysis: Mapping) -> str:
    """The analyzer's own words for the photo's noise (kind, sigma, the estimators' range), where given."""
    return str(first_of(analysis, "noise_evidence", "evidence") or "")


def analysis_sentence(analysis: Mapping, noise_said: bool = False) -> str:
    """What the analysis measured on a photo: how strong its noise is and of which kind, with sigma, its range
    and the confidence (left out where ``noise_said``: a forced run's notice said it); then the other findings."""
    findings = [item if isinstance(item, Mapping) else {"degradation": item}
                for item in analysis.get("degradations") or analysis.get("findings") or ()]
    noise = [item for item in findings if _finding_key(item) in NOISE_FINDINGS]
    parts = [] if noise_said else [f"measures {words}" for words in [_noise_words(analysis, noise)] if words]
    told = noise_said or bool(parts)  # the noise is said: its findings are not said again
    others = [finding_words({"degradation": _finding_key(item), "severity": first_of(item, "severity", "score")})
              for item in findings if not (told and item in noise)]
    if "degradations" in analysis or "findings" in analysis:  # a run's noise alone names no findings
        parts.append(f"finds {_join(others)}" if others else
                     "finds no other damage" if told else "finds no marked degradation")
    if not parts:
        return ""
    scale = " " + fill("analysis.scale") if told and not noise_said else ""
    return fill("analysis", path=analysis_path(analysis), scale=scale, findings=", and ".join(parts))


def _noise_words(analysis: Mapping, noise: list[Mapping]) -> str:
    """``moderate white Gaussian-like noise, sigma 22.7 (estimators 21.8-22.9), confidence 0.9``: the analyzer's
    words where given, else the kind's; '' where no sigma was measured."""
    sigma = first_of(analysis, "noise_sigma", "sigma", "noise_level")
    if not isinstance(sigma, (int, float)):
        return ""
    kind, evidence = analysis.get("noise_kind"), noise_evidence(analysis)
    severity = next((item.get("severity") for item in noise if isinstance(item.get("severity"), str)), "")
    strength = f"{severity} " if kind and kind != "none" and severity not in ("", "none") else ""
    if evidence:
        return f"{strength}{evidence}{_confidence(analysis)}"
    if kind:
        words = NOISE_KINDS.get(kind, f"{kind} noise")
    else:  # a bare analysis: the noise finding's words, with its severity
        words = finding_words({"degradation": _finding_key(noise[0]), "severity": first_of(noise[0], "severity",
                                                                                             "score")}) if noise else "noise"
    low, high = analysis.get("noise_low"), analysis.get("noise_high")
    spread = f" (range {low:.1f}-{high:.1f})" if isinstance(low, (int, float)) and isinstance(high, (int, float)) \
        and high - low >= 0.1 else ""
    return f"{strength}{words}, sigma {float(sigma):.1f}{spread}{_confidence(analysis)}"


def _confidence(analysis: Mapping) -> str:
    confidence = first_of(analysis, "noise_confidence", "confidence")
    return f", confidence {confidence:.1f}" if isinstance(confidence, (int, float)) else ""


def _finding_key(item: Mapping) -> str:
    return str(first_of(item, "degradation", "name", "key", "kind") or "")


def failure_sentence(failure: Mapping) -> str:
    args = failure.get("args") or {}
    target = args.get("path") or args.get("query") or ""
    return fill("tool-failure", tool=failure.get("name", "a tool"), target=f" on `{target}`" if target else "",
                error=str(failure.get("error") or "unknown error").rstrip("."))


def first_of(mapping: Mapping, *keys: str) -> object:
    """The first of ``keys`` that ``mapping`` gives a value for."""
    return next((mapping[key] for key in keys if mapping.get(key) is not None), None)
