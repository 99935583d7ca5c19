"""The taizhang console script: load the command line, letting Ctrl+C end it quietly."""

from __future__ import annotations

import sys


def main() -> int:
    """Import the command line (a second or two) and run it.

    Ctrl+C while the libraries load would otherwise print a traceback before
    the command line's own handling exists.
    """
    try:
        from tui.cli import main as run
    except KeyboardInterrupt:
        print("已中断。", file=sys.stderr)
        return 130
    return run()


if __name__ == "__main__":
    raise SystemExit(main())
