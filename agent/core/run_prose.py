"""A denoise run in words: a forced run's notice, what ran and the file it wrote, the check's verdict; or why the
analysis left the photo alone and how to run it anyway.

The words follow the run's decision and status and nothing else: "restored" only where the check passed, a
check that failed gives ``denoised (check failed: ...)``, and "because you asked" only in the notice of a run
that the user's insisting forced.
"""
from __future__ import annotations

from collections.abc import Mapping

from agent.core.intent import FORCE_HINT
from agent.core.prose import join as _join
from agent.core.templates import fill
from agent.core.tool_prose import noise_evidence
from tools.restore import CHECK_FAILED, RESTORED


def forced_notice(run: Mapping) -> str:
    """The decision's notice of a forced run, as the sentence said before its result ('' for any other run)."""
    decision = run.get("decision") or {}
    notice = str(decision.get("notice") or "") if decision.get("forced") else ""
    return fill("denoise.forced", notice=notice[0].upper() + notice[1:]) if notice else ""


def run_sentences(run: Mapping, said: str = "") -> list[str]:
    """What a denoise call did, after the measurement (``said``, whose words the reason does not repeat): what
    ran, where it wrote and the check's verdict; or why nothing ran and how to run it anyway."""
    decision = run.get("decision") or {}
    if decision and not decision.get("denoise", True):
        return [fill("denoise.skipped", reason=_reason(decision, run, said), hint=FORCE_HINT)]
    sentences = [_run_sentence(run, why="" if decision.get("forced") else fill("denoise.why"))]
    check = run.get("check") or {}
    return sentences + ([check_sentence(check)] if check else [])


def unasked_sentence(analysis: Mapping, said: str = "") -> str:
    """What the analysis would do with a photo nobody asked to clean, and why."""
    decision = analysis.get("decision") or {}
    if not decision:
        return ""
    key = "denoise.unasked-would" if decision.get("denoise") else "denoise.unasked-would-not"
    return fill(key, reason=_reason(decision, analysis, said))


def _reason(decision: Mapping, measured: Mapping, said: str) -> str:
    """The decision's reason, without the measurement where the paragraph has just said it."""
    reason = str(decision.get("reason") or "")
    evidence = noise_evidence(measured) or noise_evidence(measured.get("before") or {})
    if evidence and evidence in said and reason.startswith(evidence + ": "):
        return reason[len(evidence) + 2:]
    return reason


def check_sentence(check: Mapping) -> str:
    """The check's verdict: restored where it passed; else ``denoised (check failed: ...)``, what it found and
    the removal it predicted from the measured sigma."""
    if check.get("ok"):
        return fill("denoise.check", verdict=check.get("verdict", ""))
    heads, details = [], []
    for problem in check.get("problems") or [str(check.get("verdict", ""))]:
        head, _, detail = str(problem).partition(" (")
        heads.append(head)
        if detail and "predict" not in detail:  # the removal against its prediction is said once, below
            details.append(detail.removesuffix(")"))
    details.append(fill("denoise.predicted", removed=_number(check.get("removed_std")),
                        expected=_number(check.get("expected_std")),
                        prediction=check.get("prediction") or "from the measured sigma"))
    return fill("denoise.check-failed", caption=f"denoised (check failed: {_join(heads)})",
                details="; ".join(details))


def here_clause(run: Mapping) -> str:
    """The run in a few words, for the workflow's output step (the task section tells it in full)."""
    if not run.get("output"):
        return fill("workflow.here-skipped", input=run.get("input", "the photo"))
    caption = {RESTORED: "restored", CHECK_FAILED: "denoised (check failed)"}.get(run.get("status"), "denoised")
    return fill("workflow.here", input=run.get("input", "the photo"), output=run["output"], caption=caption)


def _number(value: object) -> str:
    return f"{float(value):.1f}" if isinstance(value, (int, float)) else "?"


def _run_sentence(run: Mapping, why: str = "") -> str:
    level = run.get("noise_level")
    psnr, ssim = run.get("psnr"), run.get("ssim")
    quality = ""
    if isinstance(psnr, (int, float)):
        quality = f"; PSNR {psnr:.2f} dB" + (f", SSIM {ssim:.3f}" if isinstance(ssim, (int, float)) else "")
        quality += " against the clean reference"
    return fill(
        "denoise",
        why=why,
        model=run.get("model") or "SwinIR",
        output=run.get("output", "the output"),
        level=f" at noise level {level}" if level is not None else "",
        matching=_matching(run.get("contrast")),
        seconds=f"{float(run.get('seconds') or 0):.2f}",
        megapixels=f"{float(run.get('megapixels') or 0):.2f}",
        quality=quality,
    )


def _matching(contrast: object) -> str:
    """Words for a noise-matched run (the photo ran at another contrast so its noise fit the weights)."""
    if not isinstance(contrast, (int, float)) or abs(contrast - 1.0) < 1e-3:
        return ""
    return f", with the photo's noise matched to the weights' training noise (input contrast x{contrast:.2f})"
