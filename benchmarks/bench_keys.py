"""Factorising string customer ids: relmark's hashing path against the alternatives, one run.

Data (seeded; every distinct id appears at least once, rows shuffled):

- ``uuid``: 32-character hex ids (``uuid4().hex``), the default 1,000,000
  distinct among 2,800,000 rows;
- ``email``: e-mail addresses of 18 to 40 bytes, ``first.last123@domain``;
- ``code``: ``CUST-000123456``-style codes, a long prefix shared by all;
- ``few``: 50 distinct uuid-hex ids among the same number of rows.

For each, from a pyarrow ``string`` array unless the row says otherwise, the
median wall-clock time of ``--repeat`` calls of:

- ``relmark.factorize``: the path the library takes (sorted distinct values);
  also from a numpy object array, a numpy ``U`` array and a pyarrow
  dictionary array (what ``pyarrow.csv`` reads with ``auto_dict_encode``);
- the same steps in first-appearance order (no sort of the distinct ids);
- each step of the hashing path on its own (hash, group, verify, order,
  codes, distinct values as Python objects);
- pyarrow's hash table, ``dictionary_encode``, alone and followed by
  relmark's sort of the dictionary; pyarrow's ``sort_indices`` of the
  distinct ids (what sorting them with pyarrow would cost);
- the previous relmark path for objects (a dictionary pass, then a sort of
  Python strings), and ``np.unique`` of the ``U`` array (``--slow`` only:
  seconds per call);
- polars, when installed: ``rank("dense")`` of the ids (sorted codes) and
  ``unique().sort()`` (sorted distinct values), as a reference.

Every result is checked against the first before the times are printed.

Run: ``python benchmarks/bench_keys.py [--rows N] [--distinct K] [--repeat R] [--slow]``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from _common import median_time  # benchmarks/ is on the path when run as a script

from relmark.data import _keys

HEX = np.frombuffer(b"0123456789abcdef", dtype="S1")
FIRST = [b"anna", b"ben", b"chloe", b"dmitri", b"eva", b"fatima", b"george", b"hiroshi"]
FIRST += [b"ines", b"jean-pierre", b"kofi", b"lea", b"maximilian", b"nora", b"oscar", b"priya"]
LAST = [b"smith", b"garcia", b"mueller", b"nguyen", b"rossi", b"kowalski", b"dubois", b"li"]
LAST += [b"okafor", b"svensson", b"tanaka", b"oliveira", b"haddad", b"novak", b"ivanova", b"ng"]
DOMAINS = [b"gmail.com", b"example.org", b"mail.corp.co.uk", b"web.de", b"x.io", b"orange.fr"]


def uuid_ids(count: int, rng: np.random.Generator) -> np.ndarray:
    """Distinct 32-character hex ids as bytes (repeats are astronomically unlikely)."""
    raw = rng.integers(0, 256, size=(count, 16), dtype=np.uint8)
    digits = np.empty((count, 32), dtype="S1")
    digits[:, 0::2], digits[:, 1::2] = HEX[raw >> 4], HEX[raw & 15]
    return digits.view("S32").reshape(count)


def email_ids(count: int, rng: np.random.Generator) -> np.ndarray:
    """Distinct addresses ``first.last<number>@domain`` as bytes."""
    picks = (rng.integers(0, len(names), count) for names in (FIRST, LAST, DOMAINS))
    first, last, domain = (
        np.array(n)[p] for n, p in zip((FIRST, LAST, DOMAINS), picks, strict=True)
    )
    number = rng.permutation(count).astype("S7")  # distinct, 1 to 7 digits
    local = np.char.add(np.char.add(np.char.add(first, b"."), last), number)
    return np.char.add(np.char.add(local, b"@"), domain)


def code_ids(count: int, rng: np.random.Generator) -> np.ndarray:
    """Distinct ``CUST-`` codes, zero-padded to 9 digits, as bytes."""
    numbers = rng.choice(10**9, size=count, replace=False)
    return np.char.add(b"CUST-", np.char.zfill(numbers.astype("S9"), 9))


def rows_of(distinct: np.ndarray, rows: int, rng: np.random.Generator) -> pa.Array:
    """``rows`` ids, each distinct one at least once, shuffled, as an Arrow string array."""
    extra = rng.integers(0, distinct.size, rows - distinct.size)
    picked = distinct[rng.permutation(np.concatenate([np.arange(distinct.size), extra]))]
    return pa.array(picked.astype(object), type=pa.binary()).cast(pa.string())


def steps(strings: pa.Array) -> dict[str, Callable[[], Any]]:
    """Each step of the hashing path, on its own, from an Arrow string array."""
    text = _keys._arrow_text(strings)
    hashes = _keys._hashes(text)
    groups, first_rows = _keys._group_by_hash(hashes.copy())
    order = _keys._sorted_order(text, first_rows)

    def codes() -> Any:
        rank = np.empty(order.size, dtype=np.int64)
        rank[order] = np.arange(order.size)
        return rank[groups]

    return {
        "  hash": lambda: _keys._hashes(text),
        "  group by hash (from a copy of the hashes)": lambda: _keys._group_by_hash(hashes.copy()),
        "  verify every row": lambda: _keys._differing_rows(text, first_rows, groups),
        "  order the distinct ids": lambda: _keys._sorted_order(text, first_rows),
        "  codes in sorted order": codes,
        "  distinct ids as Python objects": lambda: strings.take(
            pa.array(first_rows[order])
        ).to_numpy(zero_copy_only=False),
    }


def options(strings: pa.Array, slow: bool) -> dict[str, Callable[[], Any]]:
    """Every way of factorising ``strings`` that this benchmark compares."""
    objects = strings.to_numpy(zero_copy_only=False)
    unicode = objects.astype(str)
    dictionary = strings.dictionary_encode()
    encoded = pc.dictionary_encode(strings)
    found: dict[str, Callable[[], Any]] = {
        "relmark.factorize, Arrow string": lambda: _keys.factorize(strings),
        "relmark.factorize, numpy object": lambda: _keys.factorize(objects),
        "relmark.factorize, numpy U": lambda: _keys.factorize(unicode),
        "relmark.factorize, Arrow dictionary": lambda: _keys.factorize(dictionary),
        "hashing path in first-appearance order": lambda: _keys._factorize_text(
            _keys._arrow_text(strings), _values_of(strings), in_order=False
        ),
        **steps(strings),
        "pyarrow dictionary_encode alone": lambda: pc.dictionary_encode(strings),
        "pyarrow dictionary_encode + relmark sort": lambda: _keys._factorize_dictionary(
            pc.dictionary_encode(strings)
        ),
        "pyarrow sort_indices of the distinct ids": lambda: pc.sort_indices(encoded.dictionary),
        "previous relmark (dict pass + sort), object": lambda: _keys._by_dictionary(objects, None),
    }
    if slow:
        found["np.unique, numpy U"] = lambda: np.unique(unicode, return_inverse=True)
    try:
        import polars as pl
    except ImportError:
        return found
    series = pl.from_arrow(strings)
    found["polars rank('dense') (codes)"] = lambda: series.rank("dense")
    found["polars unique().sort() (distinct)"] = lambda: series.unique().sort()
    return found


def _values_of(strings: pa.Array) -> Callable[[np.ndarray], np.ndarray]:
    return lambda rows: strings.take(pa.array(rows)).to_numpy(zero_copy_only=False)


def check(strings: pa.Array, result: tuple[np.ndarray, np.ndarray]) -> None:
    """The factorisation is exact: the distinct ids are sorted and map back to every row."""
    distinct, codes = result
    assert pc.all(pc.equal(pa.array(distinct[codes]), strings)).as_py()
    assert (distinct[1:] > distinct[:-1]).all()


def main() -> None:
    """Run the benchmark and print one table per data set."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_800_000)
    parser.add_argument("--distinct", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--slow", action="store_true", help="also np.unique (seconds a call)")
    parser.add_argument("--only", nargs="*", default=["uuid", "email", "code", "few"])
    args = parser.parse_args()
    rng = np.random.default_rng(2026)
    makers = {"uuid": uuid_ids, "email": email_ids, "code": code_ids, "few": uuid_ids}
    for name in args.only:
        count = 50 if name == "few" else args.distinct
        strings = rows_of(makers[name](count, rng), args.rows, rng)
        lengths = pc.min_max(pc.binary_length(strings)).as_py()
        print(
            f"\n{name}: {len(strings):,} rows, {count:,} distinct, {lengths['min']}-"
            f"{lengths['max']} bytes; median of {args.repeat}"
        )
        for label, call in options(strings, args.slow).items():
            repeat = 1 if label.startswith(("np.unique", "previous")) else args.repeat
            seconds, result = median_time(call, repeat=repeat)
            if label.startswith("relmark.factorize"):
                check(strings, result)
            print(f"  {label:<48}{seconds:>8.3f} s")


if __name__ == "__main__":
    main()
