"""Which share of a cell a client host ran: ``I/K`` (share I of K), the ``share`` key of the
summary.json that ``python -m client run --share I/K`` writes and ``python -m controller merge``
reads. client/share.py splits a step between the shares."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TypeVar

_SHARE = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")
_S = TypeVar("_S", bound="ShareId")


@dataclass(frozen=True)
class ShareId:
    index: int  # I, 1-based
    count: int  # K

    def __post_init__(self) -> None:
        if not 1 <= self.index <= self.count:
            raise ValueError(f"share must be I/K with 1 <= I <= K, got {self}")

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    @classmethod
    def parse(cls: type[_S], text: str) -> _S:
        m = _SHARE.match(text)
        if not m:
            raise ValueError(f"share must be I/K (e.g. 1/2), got {text!r}")
        return cls(int(m.group(1)), int(m.group(2)))
