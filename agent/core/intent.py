"""What a message asks the photo tools to do: clean its photos, and whether it insists on it.

Read from the user's words, the same way for every backend: the offline planner decides its calls from it, and
the toolbox honours ``force`` only for a message that insists ("denoise it anyway"), so that a run the analysis
would not make is never said to be asked for when it was not.
"""
from __future__ import annotations

import re

_DENOISE = re.compile(r"\b(de-?nois\w*|clean\w*|restor\w*|remove\s+(?:the\s+|its\s+)?noise|fix\w*)\b", re.I)
_INSIST = re.compile(r"\b(anyway|regardless|even if|even though|nevertheless|even so|all the same|force\w*)\b", re.I)
FORCE_HINT = "say 'denoise it anyway'"  # how a person asks for a run the analysis would not make


def wants_denoise(message: str) -> bool:
    """Does the message ask to clean, denoise, restore or fix the photos?"""
    return bool(_DENOISE.search(message))


def insists(message: str) -> bool:
    """Does the message ask to denoise even where the analysis would not ("denoise it anyway")?"""
    return bool(_INSIST.search(message))
