"""Peak resident memory of this process, resettable between measurements (Linux).

``VmHWM`` in ``/proc/self/status`` is the process's peak RSS; writing ``5`` to
``/proc/self/clear_refs`` resets it to the current RSS.  Together they give the peak RSS of one
measured call, native allocations (DuckDB, Arrow) included, which ``tracemalloc`` would miss.
Elsewhere the functions fall back to ``resource``'s process-lifetime peak.
"""

from __future__ import annotations

import resource
from pathlib import Path

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def reset_peak() -> bool:
    """Reset the peak-RSS counter; returns False where that is not possible."""
    try:
        _CLEAR_REFS.write_text("5")
    except OSError:
        return False
    return True


def peak_rss_mb() -> float:
    """Peak resident set size in MiB since the last successful :func:`reset_peak`."""
    try:
        for line in _STATUS.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
