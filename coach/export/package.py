"""Describe the package: datapackage.json (Frictionless) and the codebook (CSV and Markdown)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from coach.assessments.instruments import all_instruments
from coach.export.kanon import LADDER, QI_COLUMNS, SUPPRESSED
from coach.export.schema import FALSE, MISSING_VALUES, NOT_COLLECTED, TRUE, TableSchema
from coach.export.writer import CsvFormat

if TYPE_CHECKING:
    from coach.export.build import Summary

PACKAGE_NAME = "coach-anonymised-export"
CODEBOOK_COLUMNS = ("file", "column", "type", "unit", "required", "allowed_values", "meaning")

MISSING_TEXT = (
    f"Two codes mark a missing value, in every file: '{NOT_COLLECTED}' means not collected "
    f"or not applicable (for example the unemployment duration of someone who was not "
    f"unemployed at entry, or the exit month of someone still in the group); "
    f"'{SUPPRESSED}' means the value exists but is withheld to protect people (see "
    f"'Disclosure control'). R: read.csv(..., na.strings = c(\"{NOT_COLLECTED}\", "
    f"\"{SUPPRESSED}\")); pandas: read_csv(..., na_values=[\"{NOT_COLLECTED}\", "
    f"\"{SUPPRESSED}\"], keep_default_na=False)."
)


def disclosure(summary: Summary) -> dict:
    """Return the package's disclosure facts (written into datapackage.json)."""
    return {
        "policy": summary.policy,
        "k": summary.k,
        "quasi_identifiers": list(QI_COLUMNS),
        "generalisation_steps": [name for name, _column in LADDER],
        "generalisation_used": summary.step,
        "locally_suppressed_participants": summary.locally_suppressed,
    }


def write_datapackage(directory: Path, schemas: Iterable[TableSchema], fmt: CsvFormat,
                      summary: Summary) -> None:
    """Write datapackage.json describing every CSV file as a tabular data resource."""
    resources = []
    for schema in schemas:
        descriptor: dict = {
            "fields": [f.descriptor(fmt.decimal_comma) for f in schema.fields],
            "primaryKey": list(schema.primary_key),
            "missingValues": list(MISSING_VALUES),
        }
        if schema.foreign_keys:
            descriptor["foreignKeys"] = [
                {"fields": list(fk.fields),
                 "reference": {"resource": fk.resource, "fields": list(fk.reference)}}
                for fk in schema.foreign_keys
            ]
        resources.append({
            "name": schema.name, "path": schema.path, "profile": "tabular-data-resource",
            "description": schema.description, "format": "csv", "mediatype": "text/csv",
            "encoding": fmt.encoding,
            "dialect": {"delimiter": fmt.delimiter, "quoteChar": '"', "doubleQuote": True,
                        "header": True, "lineTerminator": "\r\n"},
            "schema": descriptor,
        })
    package = {
        "profile": "tabular-data-package",
        "name": PACKAGE_NAME,
        "title": "Coaching groups: anonymised data package",
        "description": "Pseudonymous ids are new in every export; time is whole months since "
                       "each group's start; quasi-identifiers are generalised or suppressed "
                       "until every combination is shared by at least k participants. "
                       + MISSING_TEXT,
        "disclosure": disclosure(summary),
        "resources": resources,
    }
    (directory / "datapackage.json").write_text(
        json.dumps(package, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _allowed(field) -> str:
    if field.type == "boolean":
        return f"{TRUE} (yes), {FALSE} (no)"
    values = list(field.enum)
    if field.pattern:
        values.append(f"pattern {field.pattern}")
    if field.suppressible:
        values.append(SUPPRESSED)
    if not field.required:
        values.append(NOT_COLLECTED)
    return ", ".join(values)


def codebook_rows(schemas: Iterable[TableSchema]) -> list[tuple[str, ...]]:
    """Return one codebook row per column of every file."""
    return [
        (schema.path, f.name, f.type, f.unit, "yes" if f.required else "no", _allowed(f),
         f.description)
        for schema in schemas for f in schema.fields
    ]


def write_codebook(directory: Path, schemas: Iterable[TableSchema], summary: Summary) -> None:
    """Write codebook.csv and codebook.md."""
    schemas = list(schemas)
    rows = codebook_rows(schemas)
    with (directory / "codebook.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(CODEBOOK_COLUMNS)
        writer.writerows(rows)
    (directory / "codebook.md").write_text(codebook_markdown(schemas, summary), encoding="utf-8")


def instruments_markdown() -> list[str]:
    """Return the codebook's lines on each instrument: version, validation, wording, licence."""
    lines = ["## Instruments", ""]
    for instrument in all_instruments():
        official = [language for language, yes in instrument.official.items() if yes]
        own = [language for language, yes in instrument.official.items() if not yes]
        wording = f"Official wording: {', '.join(official) or 'none'}."
        if own:
            # Participants are not told this; evaluators need it to compare results.
            wording += f" Our own translation, not the official one: {', '.join(own)}."
        lines += [
            f"- `{instrument.id}` {instrument.name.en}, version {instrument.version}; "
            + ("validated." if instrument.validated else "not validated.") + " " + wording
            + " " + " ".join(instrument.licence.split()),
        ]
    return [*lines, ""]


def codebook_markdown(schemas: list[TableSchema], summary: Summary) -> str:
    """Return the codebook as Markdown: how to read the files, then every column."""
    steps = "\n".join(f"{number}. {name}" for number, (name, _c) in enumerate(LADDER))
    lines = [
        "# Codebook: anonymised data package", "",
        "## What is in it", "",
        "CSV files with a header row, UTF-8, RFC 4180 quoting"
        + (" (this copy: semicolons, decimal comma and a byte-order mark for a spreadsheet "
           "in the Finnish locale)." if summary.format == "excel-fi"
           else ", comma-separated, decimal point."),
        "`datapackage.json` describes them as a Frictionless data package with primary and "
        "foreign keys; `frictionless validate datapackage.json` checks it.", "",
        "- Ids are pseudonyms, new in every export: two exports cannot be joined.",
        "- Time is whole months since the group's start date; no dates, birth years, names, "
        "notes or free text are included.", "",
        "## Missing values", "", MISSING_TEXT, "",
        "## Disclosure control", "",
        f"Disclosure policy: **{summary.policy}**. k = **{summary.k}**.", "",
        "Quasi-identifiers: " + ", ".join(f"`{c}`" for c in QI_COLUMNS) + ". Every "
        f"combination of their values is shared by at least {summary.k} participants. The "
        "generalisation steps below are tried in order, each adding to the ones before; the "
        "first one that leaves no rarer combination, or leaves at least k and at most a "
        "tenth of the participants (or k, if more) in rarer ones, is used, and those "
        "participants get every quasi-identifier suppressed. With fewer than k participants "
        "in all, every quasi-identifier is suppressed.", "", steps, "",
        f"This export: step **{summary.step}**; participants suppressed locally: "
        f"**{summary.locally_suppressed}**. The entry at enrolment in `status_history.csv` "
        "is generalised like the status at entry.", "",
        *instruments_markdown(),
    ]
    for schema in schemas:
        lines += [f"## {schema.path}", "", schema.description, "",
                  "Primary key: " + ", ".join(f"`{c}`" for c in schema.primary_key) + ".", ""]
        for fk in schema.foreign_keys:
            lines.append(f"Foreign key: `{', '.join(fk.fields)}` refers to "
                         f"`{fk.resource}.csv`.")
        lines += ["", "| column | type | unit | required | allowed values | meaning |",
                  "|---|---|---|---|---|---|"]
        for row in codebook_rows([schema]):
            lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in row[1:]) + " |")
        lines.append("")
    return "\n".join(lines)
