"""RFM, engagement and satisfaction scores: hand-computed cases and properties."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy.stats import norm

import relmark
from relmark import CustomerSummary, TouchpointTable, ValidationError
from relmark.datasets import load_cdnow_sample
from relmark.scoring import RFMScores, fm_score, quantile_scores
from relmark.segmentation.rfm_segments import score_features

values = hnp.arrays(np.float64, st.integers(1, 60), elements=st.floats(-1e6, 1e6))


@given(data=values, k=st.integers(2, 9))
def test_quantile_scores_are_in_range_monotone_and_tie_consistent(data: np.ndarray, k: int) -> None:
    scores = quantile_scores(data, k)
    assert scores.min() >= 1 and scores.max() <= k
    order = np.argsort(data, kind="stable")
    assert np.all(np.diff(scores[order]) >= 0)
    for value in np.unique(data):
        assert np.unique(scores[data == value]).size == 1  # ties share a score
    shuffled = np.random.default_rng(0).permutation(data.size)
    assert np.array_equal(quantile_scores(data[shuffled], k), scores[shuffled])


def test_rfm_by_hand() -> None:
    summary = CustomerSummary.from_arrays(
        [0, 1, 3, 8, 2], [0.0, 5.0, 20.0, 30.0, 29.0], [30.0] * 5,
        monetary_value=[0.0, 10.0, 30.0, 25.0, 100.0],
    )  # fmt: skip
    scores = relmark.rfm_scores(summary, k=5)
    # time since last purchase 30, 25, 10, 0, 1 -> recency ranks 1..5 reversed
    assert scores.recency_score.tolist() == [1, 2, 3, 5, 4]
    # the one-time buyer gets F = M = 1; the four repeaters share scores 2..5
    assert scores.frequency_score.tolist() == [1, 2, 4, 5, 3]
    assert scores.monetary_score.tolist() == [1, 2, 4, 3, 5]
    assert scores.cells.tolist() == ["111", "222", "344", "553", "435"]
    assert scores.total.tolist() == [3, 6, 11, 13, 12]


@given(
    frequency=hnp.arrays(np.float64, 30, elements=st.integers(0, 20).map(float)),
    k=st.integers(2, 9),
)
def test_rfm_scores_are_in_range(frequency: np.ndarray, k: int) -> None:
    T = np.full(30, 40.0)
    recency = np.where(frequency > 0, 20.0, 0.0)
    summary = CustomerSummary.from_arrays(frequency, recency, T, monetary_value=frequency * 3)
    scores = relmark.rfm_scores(summary, k=k)
    for name in ("recency_score", "frequency_score", "monetary_score"):
        array = getattr(scores, name)
        assert array.min() >= 1 and array.max() <= k
    assert np.all(scores.frequency_score[frequency == 0] == 1)
    order = np.argsort(frequency)
    assert np.all(np.diff(scores.frequency_score[order]) >= 0)


def test_rfm_from_a_log_and_bad_input() -> None:
    log = load_cdnow_sample()
    assert len(relmark.rfm_scores(log).recency_score) == 2357
    with pytest.raises(ValidationError, match=r"`k` must be >= 2, got 1"):
        relmark.rfm_scores(log, k=1)
    with pytest.raises(ValidationError, match=r"`k` must be at most 9 \(one digit per cell\)"):
        relmark.rfm_scores(log, k=12)
    with pytest.raises(TypeError, match="expected a CustomerSummary or TransactionLog, got list"):
        relmark.rfm_scores([1, 2, 3])  # type: ignore[arg-type]


def test_nps_csat_ces_by_hand() -> None:
    score = relmark.nps([10, 9, 9, 8, 7, 6, 0, 10])
    assert score.value == 100 * (4 / 8 - 2 / 8)  # exact: shares of 8 answers
    assert score.shares == {"promoters": 4 / 8, "passives": 2 / 8, "detractors": 2 / 8}
    assert relmark.csat([5, 4, 3, 2, 1]).value == pytest.approx(40.0)
    assert relmark.ces([1, 7, 4]).value == pytest.approx(4.0)
    groups = relmark.nps_by_group([10, 0, 9, 9], ["x", "x", "y", "y"])
    assert groups["x"].value == 0.0 and groups["y"].value == 100.0


@given(answers=st.lists(st.integers(0, 10), min_size=1, max_size=200))
def test_nps_is_promoters_minus_detractors_and_bounded(answers: list[int]) -> None:
    score = relmark.nps(answers)
    promoters = sum(a >= 9 for a in answers) / len(answers)
    detractors = sum(a <= 6 for a in answers) / len(answers)
    assert score.value == pytest.approx(100 * (promoters - detractors))
    assert -100 <= score.low <= score.value <= score.high <= 100


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: relmark.nps([]), "`answers` is empty"),
        (lambda: relmark.nps([11]), "whole answers from 0 to 10; 1 of 1 do not"),
        (lambda: relmark.nps([5.5]), "whole answers from 0 to 10; 1 of 1 do not"),
        (lambda: relmark.nps([float("nan")]), "`answers` must not be NaN"),
        (lambda: relmark.csat([6], scale=5), "whole answers from 1 to 5"),
        (lambda: relmark.ces([0]), "whole answers from 1 to 7"),
        (lambda: relmark.nps([5], confidence=1.5), "`confidence` must be < 1, got 1.5"),
        (lambda: relmark.nps_by_group([5, 6], ["a"]), "`groups`"),
    ],
)
def test_bad_answers(call: object, message: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        call()  # type: ignore[operator]


def contacts(
    days: list[float], kinds: list[str], channels: list[str] | None = None
) -> TouchpointTable:
    return TouchpointTable.from_arrays(
        ["a"] * len(days), days, channels or ["web"] * len(days), kinds
    )


def test_engagement_by_hand() -> None:
    table = TouchpointTable.from_arrays(
        ["a", "a", "a", "b", "b"],
        [0.0, 10.0, 10.5, 20.0, 25.0],
        ["web", "phone", "phone", "billing", "email"],
        ["visit", "complaint", "complaint_response", "complaint", "message_sent"],
    )
    result = relmark.engagement(table, as_of=20.0, half_life=10.0)
    # a: visit 1 * 2^-2 + complaint 0.5 * 2^-1 (+ response weight 0); b: complaint 0.5 * 1
    assert result.score.tolist() == pytest.approx([0.25 + 0.25, 0.5])
    assert result.complaints.tolist() == [1, 1]
    assert result.complaints_answered.tolist() == [1, 0]
    assert result.mean_response_time.tolist() == pytest.approx([0.5, 0.0])
    assert result.channels_used.tolist() == [2, 1]  # b's e-mail is after as_of
    assert result.back_office_share.tolist() == [0.0, 1.0]
    web = result.channels.index("web")
    assert result.counts[:, web].tolist() == [1, 0]


@given(age=st.floats(0.0, 500.0), older=st.floats(0.0, 500.0), life=st.floats(0.1, 100.0))
def test_engagement_never_grows_as_contacts_age(age: float, older: float, life: float) -> None:
    now = 1000.0
    young = relmark.engagement(contacts([now - age], ["visit"]), as_of=now, half_life=life)
    old = relmark.engagement(contacts([now - age - older], ["visit"]), as_of=now, half_life=life)
    assert old.score[0] <= young.score[0]


def test_weights_can_be_overridden_and_answers_read() -> None:
    table = TouchpointTable.from_arrays(
        ["a", "a"], [0.0, 1.0], ["email", "email"], ["click", "survey_response"],
        score=[np.nan, 9.0],
    )  # fmt: skip
    plain = relmark.engagement(table, as_of=1.0, half_life=1e9)
    custom = relmark.engagement(
        table, as_of=1.0, half_life=1e9, channel_weights={"email": 2.0}, kind_weights={"click": 0}
    )
    assert plain.score[0] == pytest.approx(3.0) and custom.score[0] == pytest.approx(4.0)
    ids, answers = relmark.latest_answers(table)
    assert ids.tolist() == ["a"] and answers.tolist() == [9.0]
    with pytest.raises(ValidationError, match=r"`half_life` must be > 0, got 0\.0"):
        relmark.engagement(table, as_of=1.0, half_life=0.0)
    with pytest.raises(ValidationError, match=r"`weight of click` must be >= 0, got -1\.0"):
        relmark.engagement(table, as_of=1.0, half_life=1.0, kind_weights={"click": -1})


def test_engagement_checks_the_unit_of_calendar_touchpoints() -> None:
    table = TouchpointTable.from_arrays(["a"], ["2024-01-01"], ["web"], ["visit"])
    week = relmark.engagement(table, as_of="2024-01-08", half_life=1.0, unit="W")
    assert week.score.tolist() == [0.5]  # one half-life (a week) old: half a visit's weight
    with pytest.raises(
        ValidationError,
        match=r"^`unit` must be one of 's', 'min', 'h', 'D', 'W', 'M' \(time units; 'M' is an "
        r"average month\), got 'Y'$",
    ):
        relmark.engagement(table, as_of="2024-02-01", half_life=1.0, unit="Y")
    with pytest.raises(TypeError, match=r"^`unit` must be one of 's', .*, got NoneType$"):
        relmark.engagement(table, as_of="2024-02-01", half_life=1.0, unit=None)  # type: ignore[arg-type]


# -- one implementation of each computation: NPS, the FM score ---------------------------


@given(answers=st.lists(st.integers(0, 10), min_size=1, max_size=300))
def test_nps_is_computed_from_the_counts_and_keeps_its_shares(answers: list[int]) -> None:
    score = relmark.nps(answers)
    n = len(answers)
    promoters = sum(a >= 9 for a in answers)
    detractors = sum(a <= 6 for a in answers)
    # Python's int / int is correctly rounded: the one rounding of 100 (P - D) / n
    assert score.value == 100 * (promoters - detractors) / n
    # the former share-difference formula rounded more than once: within an ulp of 100
    assert abs(score.value - 100.0 * (promoters / n - detractors / n)) <= 1.5e-14
    assert score.n == n
    assert dict(score.shares) == {
        "promoters": float(np.mean(np.array(answers) >= 9)),
        "passives": 1.0 - promoters / n - detractors / n,
        "detractors": float(np.mean(np.array(answers) <= 6)),
    }


@given(
    answers=st.lists(st.integers(0, 10), min_size=1, max_size=200),
    data=st.data(),
)
def test_nps_by_group_and_segment_profile_give_the_nps_of_each_group(
    answers: list[int], data: st.DataObject
) -> None:
    labels = data.draw(
        st.lists(st.sampled_from(["b", "a", "c"]), min_size=len(answers), max_size=len(answers))
    )
    groups = relmark.nps_by_group(answers, labels)
    values, names = np.array(answers), np.array(labels)
    assert list(groups) == sorted(set(labels))
    for label, score in groups.items():
        assert score == relmark.nps(values[names == label])  # every field, exactly
    profile = relmark.segment_profile(labels, nps_answers=np.array(answers, dtype=float))
    assert profile["nps"].tolist() == [score.value for score in groups.values()]
    assert profile["nps_responses"].tolist() == [score.n for score in groups.values()]


def test_nps_by_group_is_linear_in_the_groups() -> None:
    # 1.2e5 groups: the former loop over groups took minutes here
    rng = np.random.default_rng(7)
    n = 300_000
    answers = rng.integers(0, 11, n)
    groups = rng.integers(0, 120_000, n) * 3 - 50_000  # sparse, negative labels
    scores = relmark.nps_by_group(answers, groups, confidence=0.9)
    distinct = np.unique(groups)
    assert distinct.size > 100_000
    assert list(scores) == distinct.tolist()
    assert all(type(label) is int for label in list(scores)[:10])
    z = float(norm.ppf(0.95))
    for label in rng.choice(groups, 300, replace=False).tolist():
        mine = answers[groups == label]
        p, d, count = int((mine >= 9).sum()), int((mine <= 6).sum()), mine.size
        score = scores[label]
        assert score.value == 100 * (p - d) / count and score.n == count
        assert score.shares["promoters"] == p / count and score.shares["detractors"] == d / count
        spread = 100 * np.sqrt(max(p / count + d / count - (p / count - d / count) ** 2, 0) / count)
        assert score.low == pytest.approx(max(-100.0, score.value - z * spread), abs=1e-12)
        assert score.high == pytest.approx(min(100.0, score.value + z * spread), abs=1e-12)
        assert score == relmark.nps(mine, confidence=0.9)


def test_nps_by_group_keys_are_plain_python_values() -> None:
    by_float = relmark.nps_by_group([10, 0, 9], [0.5, 1.5, 0.5])
    assert list(by_float) == [0.5, 1.5] and all(type(k) is float for k in by_float)
    by_object = relmark.nps_by_group([10, 0, 9], np.array([np.int64(2), np.int64(1), 2], object))
    assert list(by_object) == [1, 2] and all(type(k) is int for k in by_object)


def test_latest_answers_without_survey_responses() -> None:
    table = TouchpointTable.from_arrays(["a", "b"], [0.0, 1.0], ["web", "web"], ["visit"] * 2)
    for how in ("latest", "mean"):
        ids, answers = relmark.latest_answers(table, how=how)
        assert ids.size == 0 and answers.size == 0


def test_fm_score_is_one_definition_for_scores_and_segment_features() -> None:
    for k in range(2, 10):
        cells = np.array(list(itertools.product(range(1, k + 1), repeat=3)), dtype=np.int8)
        r, f, m = cells.T
        scores = RFMScores(
            customer_id=None, recency_score=r, frequency_score=f, monetary_score=m, k=k
        )
        old = ((f + m + 1) // 2).astype(np.int8)  # the former property, verbatim
        assert scores.fm_score.dtype == np.int8
        assert scores.fm_score.tolist() == old.tolist()
        assert fm_score(f, m).tolist() == old.tolist()
        assert fm_score(f.astype(np.int64), m.astype(np.int64)).dtype == np.int64
        assert score_features(scores)["fm_score"].tolist() == old.tolist()
        assert scores.features()["fm_score"].tolist() == old.tolist()
        assert int(old.min()) == 1 and int(old.max()) == k
