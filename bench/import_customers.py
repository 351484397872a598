"""CSV import rate of customers into PostgreSQL (`contactcentre import customers`).

Generates a CSV (200,000 rows by default, every 10,000th row broken, varied phone
formats, Cyrillic names) and imports it into a fresh migrated database per run.
Each run is paired with a baseline run in the same process: every row checked by the
CustomerInput model (the path before the quick check of clean rows), so the figure
can be compared on a machine whose load varies.
Last lines: `ratio=R` (median import / median baseline) and
`import_rows_per_s=N rows/s` (median of the runs).
Run: .venv/bin/python -m bench.import_customers [--rows 200000] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import random
import statistics
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import asyncpg

from contactcentre.migrate import migrate
from crm_core.customers import import_rows
from crm_core.customers.importer import import_customers
from crm_core.db import make_engine, make_sessions
from tests import servers

HEADER = (
    "name", "kind", "phones", "email", "category", "account", "balance", "city",
    "street", "building", "birth_date",
)  # fmt: skip
FIRST = ("Иван", "Пётр", "Анна", "Мария", "John", "Mary")
LAST = ("Иванов", "Петров", "Смирнова", "Кузнецова", "Smith", "Brown")


def write_csv(path: Path, rows: int, seed: int) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for i in range(rows):
            number = f"9{i:09d}"
            phones = rng.choice(
                (f"8 ({number[:3]}) {number[3:6]}-{number[6:8]}-{number[8:]}",
                 f"+7{number}", f"8{number}; +7 495 {i % 10**7:07d}")
            )  # fmt: skip
            if i % 10_000 == 9_999:
                phones = "not a phone"
            writer.writerow(
                (f"{rng.choice(LAST)} {rng.choice(FIRST)} {i}", "person", phones,
                 f"c{i}@example.com", rng.choice(("mass", "VIP", "BIS")), f"A{i}",
                 f"{rng.randrange(-1000, 100000) / 100:.2f}", "Москва", "Тверская",
                 str(i % 200), "1980-01-01")
            )  # fmt: skip


def declined(
    columns: Sequence[str], values: Sequence[str], country: str
) -> tuple[dict[str, object], tuple[import_rows.PhoneValues, ...]] | None:
    return None


@contextmanager
def model_for_every_row() -> Iterator[None]:
    """The baseline: the quick check declines every row, so the model checks each."""
    quick_row = import_rows.quick_row
    import_rows.quick_row = declined
    try:
        yield
    finally:
        import_rows.quick_row = quick_row


async def run_once(server: servers.PostgresServer, name: str, csv_path: Path) -> float:
    conn = await asyncpg.connect(server.dsn("postgres"))
    try:
        await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "bench_template"')
    finally:
        await conn.close()
    engine = make_engine(server.url(name))
    try:
        summary = await import_customers(
            make_sessions(engine),
            csv_path,
            report_path=csv_path.with_suffix(".report.csv"),
            default_country="RU",
        )
    finally:
        await engine.dispose()
    print(
        f"{name}: read={summary.read} imported={summary.imported} "
        f"rejected={summary.rejected} seconds={summary.seconds:.2f} "
        f"rate={summary.rows_per_s:.0f}"
    )
    return summary.rows_per_s


async def main(rows: int, runs: int) -> None:
    with tempfile.TemporaryDirectory(prefix="import-bench-") as tmp:
        csv_path = Path(tmp) / "customers.csv"
        await asyncio.to_thread(write_csv, csv_path, rows, 1)
        with servers.postgres() as server:
            conn = await asyncpg.connect(server.dsn("postgres"))
            await conn.execute('CREATE DATABASE "bench_template"')
            await conn.close()
            await migrate(server.url("bench_template"))
            rates, baseline = [], []
            for i in range(runs):
                with model_for_every_row():
                    baseline.append(await run_once(server, f"baseline{i}", csv_path))
                rates.append(await run_once(server, f"run{i}", csv_path))
    rate = statistics.median(rates)
    print(f"rows={rows} runs={runs}")
    print(f"baseline_rows_per_s={statistics.median(baseline):.0f} rows/s")
    print(f"ratio={rate / statistics.median(baseline):.2f}")
    print(f"import_rows_per_s={rate:.0f} rows/s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(main(args.rows, args.runs))
