"""Copier task: wire the rendered provider driver into the Prompture checkout (the working directory).

    python extensions/wire_checkout.py .copier-answers.<provider>.yml

Prints one line per step and exits 0, or explains what is missing and exits 1 with
nothing changed. The work is in ``scaffolding/wiring.py``; this stays small.
"""

from __future__ import annotations

import sys

from scaffolding.wiring import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
