"""What a CSL processor (citeproc-js, pandoc's citeproc) shows of a CSL-JSON rich-text field,
for tests of kg's CSL-JSON export (issue 15).

Both processors read a fixed set of HTML-like tags in a field (citeproc-js's flip-flop
parser, pandoc's ``Citeproc.Types.parseCslJson``) and no entities: ``&amp;`` is five
characters to them. The model below drops those tags whether or not they pair up, which is
stricter than the processors (they show an unpaired tag as text); formatting is not shown.
Their smart quotes (``"x"`` printed with the locale's quotation marks) are typography, not
markup, and are left out. Checked by hand against citeproc-js 1.4.63 (npm ``citeproc``
2.4.63) and pandoc 2.17.
"""

from __future__ import annotations

import re

CSL_TAGS = re.compile(
    r"</?(?:i|b|u|sc|sup|sub)>"
    r'|<span\s+(?:class="(?:nocase|nodecor)"|style="(?:font-variant:\s*small-caps;|baseline)")\s*>'
    r"|</span>"
)


def shown(value: str) -> str:
    """The text a CSL processor shows of the rich-text field ``value``."""
    return CSL_TAGS.sub("", value)
