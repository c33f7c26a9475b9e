"""argparse types for the numbers on the command line: a value out of range is refused
at once, argparse naming the option, rather than falling back to a default or failing
later far from its cause."""

from __future__ import annotations

import argparse
import math
from typing import Callable


def integer(low: int, high: int | None = None) -> Callable[[str], int]:
    """An integer in low..high (no upper bound when `high` is None)."""
    bounds = f">= {low}" if high is None else f"{low}..{high}"

    def parse(text: str) -> int:
        try:
            value = int(text, 10)
        except ValueError:
            value = None
        if value is None or value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"must be an integer {bounds} (got {text!r})")
        return value

    return parse


def seconds(*, zero: bool) -> Callable[[str], float]:
    """A finite number of seconds, > 0 (or >= 0 with `zero`)."""
    bounds = ">= 0" if zero else "> 0"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value < 0 or (value == 0 and not zero):
            raise argparse.ArgumentTypeError(f"must be a number of seconds {bounds} (got {text!r})")
        return value

    return parse
