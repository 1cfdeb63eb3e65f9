"""docs/hold-codes.md lists every hold o2c places, as the catalogue defines it."""

from __future__ import annotations

from pathlib import Path

from o2c.domain.holds import TAXONOMY

DOC = Path(__file__).resolve().parents[2] / "docs" / "hold-codes.md"


def test_the_hold_codes_page_is_the_catalogue() -> None:
    rows = [line for line in DOC.read_text().splitlines() if line.startswith("| `")]
    assert rows == [
        f"| `{k.code.value}` | {k.stage.value} | `{k.owner.value}` | "
        f"{', '.join(a.value for a in k.actions)} | {k.title} |"
        for k in TAXONOMY.values()]
