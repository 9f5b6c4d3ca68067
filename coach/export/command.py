"""`coach export --out DIR`: write the anonymised data package into a folder."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from coach.i18n import gettext as _


async def _export(out: Path, excel_fi: bool, k: int):
    from coach.audit.log import record
    from coach.export.build import export_to_folder
    from coach.export.writer import EXCEL_FI, STANDARD
    from coach.reports.policy import current_policy

    policy = await current_policy()
    fmt = EXCEL_FI if excel_fi else STANDARD
    summary = await export_to_folder(out, k, policy.name, fmt)
    await record("export.create", actor_label="cli", detail={**summary.audit_detail(),
                                                             "via": "cli"})
    return summary


def run_export(args: argparse.Namespace) -> int:
    """Run `coach export`; return the exit code."""
    from coach.app import bind_tables
    from coach.export.writer import ExportInvalid
    from coach.settings import load_settings

    settings = load_settings()
    bind_tables(settings)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        print(_("coach export: %(path)s is not a folder.") % {"path": out}, file=sys.stderr)
        return 2
    try:
        summary = asyncio.run(_export(out, args.excel_fi, settings.export_k))
    except ExportInvalid as exc:
        print(_("coach export: stopped, the data did not pass its checks: %(problem)s")
              % {"problem": exc}, file=sys.stderr)
        return 1
    print(_("Wrote the anonymised data package to %(path)s (k = %(k)s, disclosure policy: "
            "%(policy)s).") % {"path": out, "k": summary.k, "policy": summary.policy})
    for name, count in summary.rows.items():
        print(f"  {name}.csv: {count}")
    return 0
