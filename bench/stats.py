"""Medians with their spread, and ratios of interleaved samples."""

import statistics
from dataclasses import dataclass


@dataclass(frozen=True)
class Spread:
    """A median and the middle half of the samples around it (the interquartile range)."""

    median: float
    low: float
    high: float
    count: int

    @classmethod
    def of(cls, samples: list[float]) -> "Spread":
        if not samples:
            raise ValueError("no samples")
        ordered = sorted(samples)
        if len(ordered) == 1:
            return cls(ordered[0], ordered[0], ordered[0], 1)
        low, _, high = statistics.quantiles(ordered, n=4, method="inclusive")
        return cls(statistics.median(ordered), low, high, len(ordered))

    def show(self, unit: str = "", digits: int = 1) -> str:
        def number(value: float) -> str:
            return f"{value:.{digits}f}"

        if self.count == 1:
            return f"{number(self.median)}{unit} (one sample)"
        if self.low == self.high == self.median:
            return f"{number(self.median)}{unit}"
        return f"{number(self.median)}{unit} ({number(self.low)}–{number(self.high)})"


def paired_ratios(numerators: list[float], denominators: list[float], *, rounds: int) -> list[float]:
    """Per-round ratios of medians: samples taken interleaved (a, b, a, b, …) are cut into `rounds`
    consecutive slices, and each slice's median of a is divided by its median of b."""
    size = len(numerators) // rounds
    if len(numerators) != len(denominators) or size == 0 or size * rounds != len(numerators):
        raise ValueError(f"{len(numerators)} and {len(denominators)} samples do not split into {rounds} rounds")
    ratios = []
    for start in range(0, size * rounds, size):
        a = statistics.median(numerators[start : start + size])
        b = statistics.median(denominators[start : start + size])
        ratios.append(a / b)
    return ratios
