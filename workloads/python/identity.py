"""Print what this interpreter is, as JSON, so the pipeline can check it.

Run inside each CPython image right after it is built: the answer is kept
beside the image ID and compared with the configuration that asked for it.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import sys
import sysconfig


def distributions() -> dict[str, str]:
    """Every installed distribution and its version (pip itself, and a user workload's packages)."""
    found = {}
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            found[name.lower()] = dist.version
    return dict(sorted(found.items()))


def identity() -> dict:
    probe = getattr(sys, "_is_gil_enabled", None)
    return {
        "kind": "cpython",
        "version": platform.python_version(),
        "implementation": sys.implementation.name,
        "gil_build_disabled": bool(sysconfig.get_config_var("Py_GIL_DISABLED")),
        "gil_enabled": True if probe is None else bool(probe()),
        "compiler": platform.python_compiler(),
        "configure_args": sysconfig.get_config_var("CONFIG_ARGS"),
        "executable": sys.executable,
        "machine": platform.machine(),
        "sys_version": sys.version,
        "cpu_count": os.cpu_count(),
        "distributions": distributions(),
    }


if __name__ == "__main__":
    json.dump(identity(), sys.stdout, indent=2, sort_keys=True)
    print()
