"""Text from files, URLs and people, made safe to show in Streamlit's Markdown.

Every body Streamlit renders (``st.markdown``, ``st.caption``, ``st.error``, ``st.warning``,
widget labels, page titles) is Markdown: ``[log in](https://evil.example)`` would become a
real link in the app's own error box and ``![x](http://host/p.png)`` a fetched image. So any
title, query, id, file name or error message passes through ``md`` on its way to the page.
"""

from __future__ import annotations

import re
from typing import Any

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:=^])")


def md(text: Any) -> str:
    """Text shown literally inside Markdown (a title like ``*[x](javascript:…)`` stays text)."""
    return _MD_SPECIAL.sub(r"\\\1", str(text or ""))
