"""The process's resident set from /proc/self/status, for the PyTorch peers of the peak-memory
benchmarks (recurrent_memory.py, conv_step_memory.py). Linux only."""
import re


def status_bytes(field):
    """A /proc/self/status field in bytes ("VmRSS:    1234 kB" -> 1263616); -1 when it is absent."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(re.findall(r"\d+", line)[0]) * 1024
    return -1


def reset_peak_resident_set():
    """Resets VmHWM to the current VmRSS (writing 5 to /proc/self/clear_refs, Linux 4.0+)."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
