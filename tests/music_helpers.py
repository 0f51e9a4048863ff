"""A short ABC tune for tests that upload, engrave or play one."""

from __future__ import annotations

ABC = """X:1
T:Test Tune
M:3/4
L:1/8
K:D
d2 fe dc | B2 A4 | d2 fe dc | d6 |
"""
