"""A progress bar per experiment point: simulated time and requests finished."""

from __future__ import annotations

import sys
from collections.abc import Callable

from tqdm import tqdm


def progress_bars(label: str) -> Callable[[float, int, int], None]:
    """A callback for the runtime: ``(sim_time, finished, total)``; closes itself at the end."""
    bar: list[tqdm] = []

    def update(sim_time: float, finished: int, total: int) -> None:
        if not bar:
            bar.append(
                tqdm(
                    total=total,
                    desc=label,
                    unit="req",
                    file=sys.stderr,
                    leave=True,
                    dynamic_ncols=True,
                    disable=not sys.stderr.isatty(),
                )
            )
        b = bar[0]
        b.set_postfix_str(f"t={sim_time:.1f} s simulated", refresh=False)
        b.update(finished - b.n)
        if finished >= total:
            b.close()

    return update
