"""Compile every django.po under fabreck/ into django.mo, without GNU gettext.

Django's `compilemessages` needs msgfmt, which a fresh Debian lacks; Babel (a Python
dependency) writes the same .mo files. Fuzzy entries are left out, as msgfmt does.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    count = 0
    for po_path in sorted((ROOT / "fabreck").glob("**/locale/*/LC_MESSAGES/*.po")):
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parent.parent.name)
        with po_path.with_suffix(".mo").open("wb") as mo_file:
            write_mo(mo_file, catalog)
        count += 1
    print(f"Compiled {count} message catalogue(s).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
