"""A peer tool (vdirsyncer, khard) in a venv of its own under bench/, made on first use."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def peer_tool(venv: Path, package: str) -> Path:
    """The console script `package` installs in `venv` (python -m venv + pip install, once)."""
    exe = venv / "bin" / package
    if not exe.exists():
        print(f"making {venv} (python -m venv + pip install {package}) …", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", package], check=True)
    return exe
