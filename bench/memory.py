"""Peak resident memory of this process, measured honestly for child processes.

Not ru_maxrss: subprocess starts children with vfork+exec, and Linux carries the parent's
high-water mark over the exec into the child's ru_maxrss (a child of a 300 MB parent
reports ~300 MB at startup). VmHWM is the process's own, and writing 5 to
/proc/self/clear_refs (Linux >= 4.0) resets it to the current RSS, so import-time peaks
don't hide the measured work's.
"""
from __future__ import annotations


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise LookupError(field)


def reset_peak() -> int:
    """Start a fresh peak-RSS window; returns the RSS now (KiB)."""
    with open("/proc/self/clear_refs", "w") as clear_refs:
        clear_refs.write("5")
    return _status_kib("VmRSS")


def peak_kib() -> int:
    return _status_kib("VmHWM")
