"""``python -m sim``: the same as the ``cogov`` command."""

from sim.cli import main

if __name__ == "__main__":  # spawned worker processes import this module too
    raise SystemExit(main())
