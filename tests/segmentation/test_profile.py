"""Segment profiles: hand-computed columns, text and HTML tables, bad inputs."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import relmark
from relmark import SegmentProfile, ValidationError


def test_profile_by_hand() -> None:
    profile = relmark.segment_profile(
        ["a", "b", "a", "b"],
        revenue=[10.0, 30.0, 20.0, 40.0],
        clv=[1.0, 2.0, 3.0, 4.0],
        probability_alive=[0.5, 1.0, 0.5, 0.0],
        nps_answers=[10, np.nan, 3, 9],
        engagement=[1.0, 1.0, 3.0, 3.0],
        visits=[1.0, 2.0, 3.0, 4.0],
    )
    # a: answers 10 (promoter), 3 (detractor) -> 0; b: one answer 9 -> 100
    assert profile.to_dict() == {
        "segment": ["a", "b"],
        "customers": [2, 2],
        "share": [0.5, 0.5],
        "revenue_share": [0.3, 0.7],
        "mean_clv": [2.0, 3.0],
        "mean_p_alive": [0.5, 0.5],
        "nps_responses": [2, 1],
        "nps": [0.0, 100.0],
        "mean_engagement": [2.0, 2.0],
        "mean_visits": [2.0, 3.0],
    }


def test_nps_per_segment_by_hand_and_without_answers() -> None:
    # x: 9, 10, 7, 6, 0 -> 2 promoters, 2 detractors of 5 -> 0; y: 8 -> 0; z: none -> NaN
    profile = relmark.segment_profile(
        ["x", "x", "x", "x", "x", "y", "z"], nps_answers=[9, 10, 7, 6, 0, 8, np.nan]
    )
    assert profile["nps_responses"].tolist() == [5, 1, 0]
    assert profile["nps"][:2].tolist() == [0.0, 0.0] and np.isnan(profile["nps"][2])
    assert repr(profile).splitlines()[-1].split()[-1] == "n/a"
    profile = relmark.segment_profile(["x"] * 4, nps_answers=[10, 9, 9, 6])
    assert profile["nps"].tolist() == [50.0]  # 75 % promoters - 25 % detractors


@given(labels=st.lists(st.sampled_from(["Lost", "Loyal", "New", "At risk"]), min_size=1))
def test_sizes_and_shares_sum_to_the_whole(labels: list[str]) -> None:
    revenue = np.arange(1.0, len(labels) + 1)
    profile = relmark.segment_profile(labels, revenue=revenue)
    assert int(profile["customers"].sum()) == len(labels)
    assert profile["share"].sum() == pytest.approx(1.0)
    assert profile["revenue_share"].sum() == pytest.approx(1.0)
    assert profile["segment"].tolist() == sorted(set(labels))


def test_text_table_fits_80_columns_and_wraps() -> None:
    labels = ["Potential loyalists", "Can't lose them", "A segment with a really long name"]
    profile = relmark.segment_profile(
        labels,
        revenue=[1.0, 2.0, 3.0],
        clv=[1.0, 2.0, 3000.0],
        probability_alive=[0.1, 0.2, 0.3],
        nps_answers=[1, 9, np.nan],
        engagement=[1.0, 2.0, 3.0],
        orders_per_year=[1.0, 2.0, 3.0],
    )
    text = repr(profile)
    assert max(len(line) for line in text.splitlines()) <= 80
    blocks = text.split("\n\n")
    assert len(blocks) >= 2
    for block in blocks:  # every block repeats the segment column, one line per segment
        lines = block.splitlines()
        assert lines[0].startswith("segment") and len(lines) == 4
    assert "A segment with a real..." in text and "3,000.00" in text and "-100.00" in text
    short = relmark.segment_profile(["Loyal", "Lost", "Loyal"], clv=[300.0, 5.0, 100.0])
    assert repr(short) == (
        "segment  customers  share  mean clv\n"
        "Lost             1  33.3%      5.00\n"
        "Loyal            2  66.7%    200.00"
    )


def test_segment_order() -> None:
    numeric = relmark.segment_profile(np.array([10, 2, 2, 1]), clv=[1.0, 2.0, 3.0, 4.0])
    assert numeric["segment"].tolist() == ["1", "2", "10"]  # clusters in numeric order
    assert numeric["mean_clv"].tolist() == [4.0, 2.5, 1.0]
    mixed = relmark.segment_profile(np.array(["b", 1, "a", 1], dtype=object))
    assert mixed.to_dict()["segment"] == ["1", "a", "b"]
    assert mixed["customers"].tolist() == [2, 1, 1]


def former_factorize(names: np.ndarray) -> tuple[list[str], list[int]]:
    """The profile's own factorisation before it used the shared one, verbatim."""
    if names.dtype.kind in "biuf":
        distinct, of = np.unique(names, return_inverse=True)
        return [str(x) for x in distinct.tolist()], of.reshape(-1).tolist()
    index: dict[str, int] = {}
    codes = np.fromiter(
        (index.setdefault(str(x), len(index)) for x in names.tolist()),
        dtype=np.intp,
        count=names.size,
    )
    keys = np.array(list(index), dtype=object)
    order = np.argsort(keys.astype(str), kind="stable")
    rank = np.empty(order.size, dtype=np.intp)
    rank[order] = np.arange(order.size)
    return keys[order].tolist(), rank[codes].tolist()


label_values = st.one_of(
    st.text(alphabet="abAB1 é", max_size=3), st.integers(-5, 5), st.floats(-2, 2), st.none()
)


@given(labels=st.lists(label_values, min_size=1, max_size=60), kind=st.sampled_from("OUif"))
def test_segments_are_factorised_as_before(labels: list[object], kind: str) -> None:
    if kind == "O":
        names = np.empty(len(labels), dtype=object)
        names[:] = labels
    elif kind == "U":
        names = np.array([str(label) for label in labels])
    else:
        names = np.array([sum(map(ord, str(label))) % 7 - 3 for label in labels], dtype=kind)
    segments, of = former_factorize(names)
    profile = relmark.segment_profile(names, clv=np.arange(float(names.size)))
    assert profile["segment"].tolist() == segments
    assert profile["customers"].tolist() == np.bincount(of, minlength=len(segments)).tolist()


def test_html_table_is_escaped() -> None:
    profile = relmark.segment_profile(["<b>&", "plain"], clv=[1.0, 2.0])
    page = profile._repr_html_()
    assert page.startswith("<table>") and "&lt;b&gt;&amp;" in page and "<b>" not in page
    assert page.count("<tr>") == 3  # header and two segments


def test_to_pandas() -> None:
    frame = relmark.segment_profile(["a", "b", "a"], clv=[1.0, 2.0, 3.0]).to_pandas()
    assert frame.index.name == "segment" and frame.loc["a", "mean_clv"] == 2.0


def test_to_pandas_without_pandas_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas -> ImportError
    with pytest.raises(ImportError, match=r'"pandas" extra.*relmark\[pandas\]'):
        relmark.segment_profile(["a"]).to_pandas()


def test_profile_is_frozen_and_read_only() -> None:
    profile = relmark.segment_profile(["a", "b"], clv=[1.0, 2.0])
    assert isinstance(profile, SegmentProfile)
    with pytest.raises(TypeError, match=r"does not support item assignment$"):
        profile.columns["x"] = np.zeros(2)  # type: ignore[index]
    with pytest.raises(ValueError, match="read-only"):
        profile["mean_clv"][0] = 5.0
    with pytest.raises(KeyError, match="no column 'nps'"):
        profile["nps"]
    with pytest.raises(ValidationError, match="same length"):
        SegmentProfile(columns={"segment": np.array(["a"]), "customers": np.array([1, 2])})


def test_bad_inputs() -> None:
    with pytest.raises(ValidationError, match=r"^`labels` is empty$"):
        relmark.segment_profile([])
    with pytest.raises(ValidationError, match="one-dimensional"):
        relmark.segment_profile([["a", "b"]])
    with pytest.raises(ValidationError, match="same length"):
        relmark.segment_profile(["a"], clv=[1.0, 2.0])
    with pytest.raises(ValidationError, match=r"`clv` must not be NaN"):
        relmark.segment_profile(["a", "b"], clv=[1.0, np.nan])
    with pytest.raises(ValidationError, match=r"\[0, 1\].*index 1: 1.5"):
        relmark.segment_profile(["a", "b"], probability_alive=[0.5, 1.5])
    with pytest.raises(ValidationError, match=r"0-10 answers.*index 0: 11.0"):
        relmark.segment_profile(["a", "b"], nps_answers=[11, 3])
    with pytest.raises(ValidationError, match="whole numbers"):
        relmark.segment_profile(["a", "b"], nps_answers=[7.5, 3])
    with pytest.raises(ValidationError, match=r"^`nps_answers` must be finite; 1 of 2 .*: inf\)$"):
        relmark.segment_profile(["a", "b"], nps_answers=[np.inf, 3])
    with pytest.raises(TypeError, match=r"^`engagement` must hold numbers, got dtype <U4$"):
        relmark.segment_profile(["a", "b"], engagement=["high", "low"])
