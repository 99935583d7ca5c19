"""The domain stands alone: importing it loads no screen, exporter or workbook code."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import sys
import domain.chain, domain.ledger, domain.verify, domain.view
outer = {"tui", "exporters", "textual", "openpyxl"}
print(sorted({name.split(".")[0] for name in sys.modules} & outer))
"""


def test_importing_the_domain_loads_nothing_from_the_outer_layers() -> None:
    result = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == "[]"
