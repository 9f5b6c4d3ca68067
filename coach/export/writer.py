"""Write CSV rows while checking each one against its table schema.

An export that breaks its own schema must not reach anyone: the first bad row
raises ExportInvalid and the caller throws the half-written files away.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from coach.export.kanon import SUPPRESSED
from coach.export.schema import FALSE, NOT_COLLECTED, TRUE, Field, TableSchema

# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class ExportInvalid(Exception):
    """A row breaks the package's schema; the export must not be finished."""


@dataclass(frozen=True)
class CsvFormat:
    """How cells are written: the standard CSV, or for a spreadsheet in the Finnish locale."""

    name: str
    delimiter: str
    decimal_comma: bool
    byte_order_mark: bool

    @property
    def encoding(self) -> str:
        return "utf-8-sig" if self.byte_order_mark else "utf-8"


STANDARD = CsvFormat("standard", ",", decimal_comma=False, byte_order_mark=False)
EXCEL_FI = CsvFormat("excel-fi", ";", decimal_comma=True, byte_order_mark=True)
FORMATS = {STANDARD.name: STANDARD, EXCEL_FI.name: EXCEL_FI}


def guard_formula(text: str) -> str:
    """Return text that no spreadsheet reads as a formula (numbers pass unchanged)."""
    if text.startswith(FORMULA_STARTS) and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text.replace(",", ".")))
    except ValueError:
        return False


def format_number(value: float, decimal_comma: bool) -> str:
    """Return a number with a decimal point, or a decimal comma."""
    text = repr(float(value))
    return text.replace(".", ",") if decimal_comma else text


class TableWriter:
    """Write one table's rows to a CSV file, checking each against the schema first.

    Primary keys are checked for uniqueness in memory (`unique_in_memory`) for small
    tables; a large table instead passes a source key that must strictly increase
    (its rows come in that order), and its primary key is a one-to-one function of
    that source key, so memory does not grow with its rows. Foreign keys are checked
    against the sets of keys written to the referenced tables.
    """

    def __init__(self, schema: TableSchema, path: Path, fmt: CsvFormat,
                 references: dict[str, Collection[str]] | None = None,
                 unique_in_memory: bool = True):
        self.schema = schema
        self.fmt = fmt
        self.references = references or {}
        self.unique_in_memory = unique_in_memory
        self.keys: set[tuple] = set()
        self.last_source_key: tuple | None = None
        self.rows = 0
        self._file: TextIO = path.open("w", encoding=fmt.encoding, newline="")
        self._csv = csv.writer(self._file, delimiter=fmt.delimiter, quotechar='"',
                               doublequote=True, lineterminator="\r\n",
                               quoting=csv.QUOTE_MINIMAL)
        self._csv.writerow([f.name for f in schema.fields])

    def write(self, row: dict[str, Any], source_key: tuple | None = None) -> None:
        """Check one row against the schema and write it."""
        where = f"{self.schema.path}, row {self.rows + 1}"
        if set(row) != {f.name for f in self.schema.fields}:
            raise ExportInvalid(f"{where}: columns {sorted(row)} differ from the schema")
        cells = [self._cell(f, row[f.name], where) for f in self.schema.fields]
        key = tuple(row[name] for name in self.schema.primary_key)
        if self.unique_in_memory:
            if key in self.keys:
                raise ExportInvalid(f"{where}: primary key {key} is not unique")
            self.keys.add(key)
        else:
            if source_key is None or (self.last_source_key is not None
                                      and source_key <= self.last_source_key):
                raise ExportInvalid(f"{where}: rows out of order; the key may repeat")
            self.last_source_key = source_key
        for foreign in self.schema.foreign_keys:
            value = row[foreign.fields[0]]
            if value not in self.references.get(foreign.resource, ()):
                raise ExportInvalid(f"{where}: {foreign.fields[0]} {value} is not in "
                                    f"{foreign.resource}.csv")
        self._csv.writerow(cells)
        self.rows += 1

    def _cell(self, spec: Field, value: Any, where: str) -> str:
        """Return a value as its CSV text, or raise ExportInvalid if the schema forbids it."""
        problem = f"{where}, {spec.name}"
        if value is None:
            if spec.required:
                raise ExportInvalid(f"{problem}: a value is required")
            return NOT_COLLECTED
        if value == SUPPRESSED:
            if not spec.suppressible:
                raise ExportInvalid(f"{problem}: this column cannot be suppressed")
            return SUPPRESSED
        if spec.type == "integer":
            if not isinstance(value, int) or isinstance(value, bool):
                raise ExportInvalid(f"{problem}: {value!r} is not a whole number")
            return str(value)
        if spec.type == "number":
            if isinstance(value, bool) or not isinstance(value, int | float) or not (
                    math.isfinite(value)):
                raise ExportInvalid(f"{problem}: {value!r} is not a number")
            return format_number(value, self.fmt.decimal_comma)
        if spec.type == "boolean":
            if not isinstance(value, bool):
                raise ExportInvalid(f"{problem}: {value!r} is not true or false")
            return TRUE if value else FALSE
        if not isinstance(value, str) or value in (NOT_COLLECTED, ""):
            raise ExportInvalid(f"{problem}: {value!r} is not a text value")
        if spec.enum and value not in spec.enum:
            raise ExportInvalid(f"{problem}: {value!r} is not one of the allowed values")
        if spec.pattern and not _matches(spec.pattern, value):
            raise ExportInvalid(f"{problem}: {value!r} does not match {spec.pattern}")
        return guard_formula(value)

    def close(self) -> None:
        self._file.close()


def _matches(pattern: str, value: str) -> bool:
    return re.fullmatch(pattern.strip("^$"), value) is not None
