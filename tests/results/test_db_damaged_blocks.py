"""A results file from a real run, damaged past its header: DuckDB opens it and fails at the first
read of a bad block, which was a ``duckdb.Error`` traceback (exit 1) in every command reading it.
Each must exit 2 with one line naming the file."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from cli_in_process import cli

from harness.results import open_results

TINY = Path(__file__).resolve().parents[1] / "runner" / "data" / "tiny.jsonl"
HEADER = 3 * 4096  # DuckDB's file header: blocks start after it


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> Path:
    """One finished run of the tiny dataset, recorded by ``harness run``."""
    db = tmp_path_factory.mktemp("damaged") / "good.duckdb"
    code = cli(
        "run", "-d", str(TINY), "-m", "baseline/oracle", "--db", str(db), "--name", "good",
        "--progress", "none", "--resamples", "20",
    )  # fmt: skip
    assert code == 0
    return db


def _damage_table(good: Path, damaged: Path, table: str) -> int:
    """Copy ``good`` with bytes of ``table``'s first block overwritten (past the block's
    checksum, where its columns begin); return where."""
    con = duckdb.connect(str(good), read_only=True)
    try:
        block_size = con.execute("SELECT block_size FROM pragma_database_size()").fetchone()[0]
        blocks = con.execute(
            f"SELECT DISTINCT block_id FROM pragma_storage_info('{table}') WHERE block_id >= 0"
        ).fetchall()
    finally:
        con.close()
    assert blocks, f"{table} has no block of its own"
    at = HEADER + min(b for (b,) in blocks) * block_size + 64
    data = bytearray(good.read_bytes())
    assert HEADER < at < len(data) - 512
    data[at : at + 512] = b"\xa5" * 512
    damaged.write_bytes(bytes(data))
    return at


COMMANDS = {
    "report": ["report", "--runs", "good", "-o", "OUT/r.html"],
    "runs list": ["runs", "list"],
    "gate": ["gate", "check", "good", "--min", "micro_f1=0.5"],
    "resume": ["run", "--resume", "good", "--progress", "none"],
}


# every command reads the runs table; all but the gate (stored metrics) read the case rows
DAMAGES = [(c, "runs") for c in COMMANDS] + [(c, "case_results") for c in COMMANDS if c != "gate"]


@pytest.mark.parametrize(("command", "table"), DAMAGES)
def test_a_block_damaged_after_the_header_exits_2_naming_the_file(
    recorded, tmp_path, capsys, command, table
):
    damaged = tmp_path / "damaged.duckdb"
    _damage_table(recorded, damaged, table)
    with open_results(damaged, read_only=True):
        pass  # the header is whole: opening succeeds, as it did before the fix
    args = [a.replace("OUT", str(tmp_path)) for a in COMMANDS[command]]
    capsys.readouterr()
    code = cli(*args, "--db", str(damaged))
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith(f"error: cannot read results database {damaged}: it is truncated or ")
    assert "Corrupt database file" in err and err.count("\n") == 1, err
    assert not (tmp_path / "r.html").exists()


def test_an_undamaged_copy_still_reads(recorded, tmp_path):
    """The damage above is what fails the commands, not the copy or the fixture."""
    copy = tmp_path / "copy.duckdb"
    shutil.copyfile(recorded, copy)
    assert cli("gate", "check", "good", "--min", "micro_f1=0.5", "--db", str(copy)) == 0
    assert cli("report", "--runs", "good", "-o", str(tmp_path / "r.html"), "--db", str(copy)) == 0
