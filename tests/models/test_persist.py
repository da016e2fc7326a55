"""Saved models: the relmark.model JSON document (schema version 1) and pickle."""

from __future__ import annotations

import functools
import json
import math
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import relmark
from relmark import (
    NBD,
    BetaDiscreteWeibull,
    BetaGeo,
    BetaGeoBetaBinom,
    GammaGamma,
    ModifiedBetaGeo,
    ParetoNBD,
    ShiftedBetaGeo,
    ValidationError,
)
from relmark.datasets import cdnow_sample_summary
from relmark.models import CommonMeanSpend, FitInfo
from relmark.models._base import Model
from relmark.models._persist import (
    SCHEMA_VERSION,
    load_model,
    model_document,
    model_from_json,
    save_model,
)
from tests.models.test_summary_report import donations

FITS: dict[str, Callable[[], Any]] = {
    "BetaGeo": lambda: BetaGeo.fit(cdnow_sample_summary()),
    "ModifiedBetaGeo": lambda: ModifiedBetaGeo.fit(cdnow_sample_summary()),
    "ParetoNBD": lambda: ParetoNBD.fit(cdnow_sample_summary()),
    "NBD": lambda: NBD.fit(cdnow_sample_summary()),
    "GammaGamma": lambda: GammaGamma.fit(cdnow_sample_summary()),
    "BetaGeoBetaBinom": lambda: BetaGeoBetaBinom.fit(donations()),
    "ShiftedBetaGeo": lambda: ShiftedBetaGeo.fit_individual(
        [1, 1, 2, 3, 4, 4, 4, 2, 5, 5], [1, 1, 1, 1, 0, 0, 0, 1, 0, 0]
    ),
    "CommonMeanSpend": lambda: CommonMeanSpend.fit(cdnow_sample_summary()),  # no fit_info
    "BetaDiscreteWeibull": lambda: BetaDiscreteWeibull.fit_survival(
        [1000, 869, 743, 653, 593, 551, 517, 491]  # Fader & Hardie (2007), high end
    ),
}


@functools.cache
def fitted(name: str) -> Any:
    return FITS[name]()


def same_fit(a: FitInfo | None, b: FitInfo | None) -> bool:
    """Field by field and bit for bit (== on FitInfo compares matrices element-wise)."""
    if a is None or b is None:
        return a is b
    return a == b and all(
        np.array_equal(getattr(a, name), getattr(b, name))
        for name in ("covariance", "log_covariance")
    )


# -- round trips ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(FITS))
def test_every_model_round_trips_through_json_exactly(name: str) -> None:
    model = fitted(name)
    text = model.to_json()
    for loaded in (type(model).from_json(text), Model.from_json(text)):
        assert type(loaded) is type(model)
        assert loaded.params == model.params  # floats compare exactly
        assert same_fit(loaded.fit_info, model.fit_info)
        assert loaded.to_json() == text
    if model.fit_info is not None:
        loaded = Model.from_json(text)
        assert loaded.fit_info is not None and not loaded.fit_info.covariance.flags.writeable
        assert loaded.summary().text == model.summary().text


@pytest.mark.parametrize("name", list(FITS))
def test_every_model_pickles_with_its_fit_info(name: str) -> None:
    model = fitted(name)
    loaded = pickle.loads(pickle.dumps(model))
    assert type(loaded) is type(model) and loaded == model
    assert same_fit(loaded.fit_info, model.fit_info)
    if loaded.fit_info is not None:
        assert not loaded.fit_info.covariance.flags.writeable
        assert not loaded.fit_info.log_covariance.flags.writeable


def test_a_loaded_model_predicts_as_the_one_saved(tmp_path: Path) -> None:
    cdnow = cdnow_sample_summary()
    model = fitted("ParetoNBD")
    path = tmp_path / "pareto.json"
    save_model(model, path)
    loaded = load_model(str(path))
    assert isinstance(loaded, ParetoNBD)
    np.testing.assert_array_equal(
        loaded.expected_purchases(cdnow, 39.0), model.expected_purchases(cdnow, 39.0)
    )
    assert json.loads(path.read_text(encoding="utf-8"))["model"] == "ParetoNBD"


def test_a_subclass_loads_through_its_base_but_not_through_another_model() -> None:
    text = fitted("ModifiedBetaGeo").to_json()
    assert type(BetaGeo.from_json(text)) is ModifiedBetaGeo  # an MBG/NBD is a BetaGeo
    with pytest.raises(ValidationError, match="`model` is 'ModifiedBetaGeo', which is not a NBD"):
        NBD.from_json(text)
    bg = fitted("BetaGeo").to_json()
    with pytest.raises(ValidationError, match="`model` is 'BetaGeo', which is not a Modified"):
        ModifiedBetaGeo.from_json(bg)


def test_the_document_is_the_documented_schema() -> None:
    model = fitted("NBD")
    document = json.loads(model.to_json())
    assert list(document) == [
        "schema",
        "schema_version",
        "model",
        "relmark_version",
        "params",
        "fit_info",
    ]
    assert document["schema"] == "relmark.model" and document["schema_version"] == 1
    assert document["relmark_version"] == relmark.__version__
    assert list(document["fit_info"]) == [
        "names",
        "estimates",
        "log_likelihood",
        "covariance",
        "log_covariance",
        "iterations",
        "n_customers",
        "n_rows",
        "seconds",
        "message",
    ]
    assert document == json.loads(json.dumps(model_document(model)))


# A version-1 document as an earlier release wrote it: every later release must read it.
VERSION_1 = """
{"schema": "relmark.model", "schema_version": 1, "model": "NBD", "relmark_version": "0.1.0",
 "params": {"r": 0.38476614190422204, "alpha": 12.072023030125589},
 "fit_info": {"names": ["r", "alpha"], "estimates": [0.38476614190422204, 12.072023030125589],
  "log_likelihood": -9763.657614672613,
  "covariance": [[0.00044038544017102594, 0.013818088845893447],
                 [0.013818088845893448, 0.654032533136943]],
  "log_covariance": [[0.0029746731594927135, 0.0029748911302359274],
                     [0.0029748911302359274, 0.00448785938628869]],
  "iterations": 8, "n_customers": 2357, "n_rows": 1016, "seconds": 0.0357,
  "message": "CONVERGENCE: NORM OF PROJECTED GRADIENT <= PGTOL"}}
"""


def test_a_version_1_document_stays_readable() -> None:
    model = Model.from_json(VERSION_1)
    assert isinstance(model, NBD)
    assert model.params == {"r": 0.38476614190422204, "alpha": 12.072023030125589}
    info = model.fit_info
    assert info is not None and info.n_customers == 2357.0 and info.n_rows == 1016
    assert info.stderr["r"] == math.sqrt(0.00044038544017102594)
    assert info.covariance[1, 0] == 0.013818088845893448
    assert round(info.bic, 2) == round(2 * math.log(2357) + 2 * 9763.657614672613, 2)


# -- properties -----------------------------------------------------------------------------

positive = st.floats(min_value=0.0, exclude_min=True, allow_infinity=False, allow_nan=False)
finite = st.floats(allow_infinity=False, allow_nan=False)


@st.composite
def fit_infos(draw: st.DrawFn, names: tuple[str, ...]) -> FitInfo:
    k = len(names)

    def matrix() -> np.ndarray:
        values = np.array(draw(st.lists(finite, min_size=k * k, max_size=k * k))).reshape(k, k)
        values[np.diag_indices(k)] = draw(st.lists(positive, min_size=k, max_size=k))
        return values

    return FitInfo(
        names=names,
        estimates=draw(st.lists(positive, min_size=k, max_size=k)),
        log_likelihood=draw(finite),
        covariance=matrix(),
        log_covariance=matrix(),
        iterations=draw(st.integers(0, 10**6)),
        n_customers=draw(positive),
        n_rows=draw(st.integers(1, 10**9)),
        seconds=draw(st.floats(0.0, 1e6)),
        message=draw(st.text(max_size=40)),
    )


@st.composite
def models(draw: st.DrawFn) -> Model:
    cls = draw(st.sampled_from([BetaGeo, ParetoNBD, BetaGeoBetaBinom, GammaGamma, ShiftedBetaGeo]))
    names = cls.parameter_names()
    params = {name: draw(positive) for name in names}
    info = draw(st.none() | fit_infos(names))
    return cls(**params, fit_info=info)  # type: ignore[no-any-return]


@given(models())
def test_any_parameters_and_fit_info_round_trip_bit_for_bit(model: Model) -> None:
    loaded = Model.from_json(model.to_json())
    assert type(loaded) is type(model)
    assert all(
        math.copysign(1.0, a) == math.copysign(1.0, b) and a == b
        for a, b in zip(loaded.params.values(), model.params.values(), strict=True)
    )
    assert same_fit(loaded.fit_info, model.fit_info)


@given(st.lists(st.floats(1e-6, 1e6), min_size=2, max_size=2))
def test_a_json_copy_predicts_identically(values: list[float]) -> None:
    model = ShiftedBetaGeo(alpha=values[0], beta=values[1])
    loaded = ShiftedBetaGeo.from_json(model.to_json())
    assert loaded.survival(np.arange(5)).tolist() == model.survival(np.arange(5)).tolist()


# -- bad documents --------------------------------------------------------------------------


def _document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(fitted("NBD").to_json())
    return document


def _edit(change: Callable[[dict[str, Any]], object]) -> str:
    document = _document()
    change(document)
    return json.dumps(document)


def _set(path: str, value: object) -> Callable[[dict[str, Any]], object]:
    *parents, last = path.split(".")

    def change(document: dict[str, Any]) -> None:
        target = document
        for key in parents:
            target = target[key]
        target[last] = value

    return change


def _delete(path: str) -> Callable[[dict[str, Any]], object]:
    *parents, last = path.split(".")

    def change(document: dict[str, Any]) -> None:
        target = document
        for key in parents:
            target = target[key]
        del target[last]

    return change


BAD_DOCUMENTS = {
    "not json": ("{'schema': 1}", r"`text` is not JSON: Expecting property name .*line 1"),
    "truncated": ('{"schema": "relmark.model"', r"`text` is not JSON"),
    "a list": ("[1, 2]", "the document must be a JSON object, got a list"),
    "NaN": (_edit(_set("params.r", math.nan)), "non-finite number NaN"),
    "Infinity": (_edit(_set("fit_info.log_likelihood", -math.inf)), "non-finite number -Infinity"),
    "1e999": (
        # a marker value put in the document, then spelt as a literal no double can hold
        _edit(_set("params.r", 1234.5)).replace("1234.5", "1e999", 1),
        "the number 1e999, beyond a double's range",
    ),
    "huge integer": (_edit(_set("params.alpha", 10**400)), r"`params.alpha` is beyond a double"),
    "missing key": (_edit(_delete("relmark_version")), "the document is missing 'relmark_version'"),
    "extra key": (_edit(_set("comment", "hi")), "the document has unknown key.*'comment'"),
    "other schema": (_edit(_set("schema", "lifetimes")), "`schema` must be 'relmark.model'"),
    "newer version": (
        _edit(_set("schema_version", 3)),
        r"`schema_version` 3 is unknown \(written by a newer relmark: upgrade",
    ),
    "version 2 without effects": (
        _edit(_set("schema_version", 2)),
        "the document is missing 'effects'",
    ),
    "version 0": (_edit(_set("schema_version", 0)), "`schema_version` 0 is unknown; this release"),
    "version as text": (_edit(_set("schema_version", "1")), "`schema_version` must be an integer"),
    "version true": (_edit(_set("schema_version", True)), "`schema_version` must be an integer"),
    "unknown model": (_edit(_set("model", "Bass")), "`model` names an unknown model 'Bass'"),
    "model not text": (_edit(_set("model", 3)), "`model` must be a non-empty string, got a num"),
    "params a list": (_edit(_set("params", [1, 2])), "`params` must be a JSON object, got a list"),
    "param missing": (_edit(_delete("params.alpha")), "`params` is missing 'alpha'"),
    "param extra": (_edit(_set("params.s", 1.0)), "`params` has unknown key.*'s'"),
    "param negative": (_edit(_set("params.r", -0.5)), r"`params.r` must be > 0, got -0.5"),
    "param zero": (_edit(_set("params.r", 0)), r"`params.r` must be > 0, got 0"),
    "param text": (_edit(_set("params.r", "0.4")), r"`params.r` must be a number, got a string"),
    "param bool": (_edit(_set("params.r", True)), r"`params.r` must be a number, got a boolean"),
    "version not text": (_edit(_set("relmark_version", 1)), "`relmark_version` must be a non-e"),
    "fit_info a list": (_edit(_set("fit_info", [])), "`fit_info` must be a JSON object"),
    "fit_info missing": (_edit(_delete("fit_info.seconds")), "`fit_info` is missing 'seconds'"),
    "fit_info extra": (_edit(_set("fit_info.converged", True)), "unknown key.*'converged'"),
    "names wrong": (
        _edit(_set("fit_info.names", ["alpha", "r"])),
        r"`fit_info.names` must be the model's parameters \['r', 'alpha'\]",
    ),
    "estimates short": (
        _edit(_set("fit_info.estimates", [0.4])),
        r"`fit_info.estimates` must hold 2 values, got 1",
    ),
    "estimate negative": (
        _edit(_set("fit_info.estimates", [0.4, -1.0])),
        r"`fit_info.estimates\[1\]` must be > 0",
    ),
    "covariance flat": (
        _edit(_set("fit_info.covariance", [1.0, 0.0, 0.0, 1.0])),
        r"`fit_info.covariance` must hold 2 values, got 4",
    ),
    "covariance ragged": (
        _edit(_set("fit_info.covariance", [[1.0, 0.0], [0.0]])),
        r"`fit_info.covariance\[1\]` must hold 2 values, got 1",
    ),
    "covariance row text": (
        _edit(_set("fit_info.log_covariance", [[1.0, 0.0], "x"])),
        r"`fit_info.log_covariance\[1\]` must be a list of 2, got a string",
    ),
    "covariance cell": (
        _edit(_set("fit_info.covariance", [[1.0, None], [0.0, 1.0]])),
        r"`fit_info.covariance\[0\]\[1\]` must be a number, got null",
    ),
    "variance zero": (
        _edit(_set("fit_info.log_covariance", [[0.0, 0.0], [0.0, 1.0]])),
        r"`fit_info.log_covariance` must have a positive diagonal",
    ),
    "iterations float": (
        _edit(_set("fit_info.iterations", 8.5)),
        "`fit_info.iterations` must be a whole number, got a number 8.5",
    ),
    "rows zero": (_edit(_set("fit_info.n_rows", 0)), "`fit_info.n_rows` must be >= 1, got 0"),
    "customers zero": (
        _edit(_set("fit_info.n_customers", 0.0)),
        "`fit_info.n_customers` must be > 0",
    ),
    "seconds negative": (_edit(_set("fit_info.seconds", -1.0)), "`fit_info.seconds` must be >= 0"),
    "message number": (
        _edit(_set("fit_info.message", 0)),
        "`fit_info.message` must be a string, got a number 0",
    ),
}


@pytest.mark.parametrize("case", list(BAD_DOCUMENTS))
def test_bad_documents_raise_naming_the_key(case: str) -> None:
    text, message = BAD_DOCUMENTS[case]
    with pytest.raises(ValidationError, match=message):
        Model.from_json(text)
    with pytest.raises(ValidationError, match=message):
        model_from_json(text, NBD)


def test_the_good_document_behind_the_bad_ones_loads() -> None:
    # every bad document above is this one with one change
    assert Model.from_json(json.dumps(_document())) == fitted("NBD")
    # a model without covariates is written as version 1, which older releases read
    assert json.loads(fitted("NBD").to_json())["schema_version"] == 1
    assert SCHEMA_VERSION == 2


def test_load_model_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    path.write_text(_edit(_set("schema_version", 7)), encoding="utf-8")
    with pytest.raises(ValidationError, match=r"model\.json: `schema_version` 7 is unknown"):
        load_model(path)
    with pytest.raises(FileNotFoundError, match=r"No such file or directory"):
        load_model(tmp_path / "missing.json")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: Model.from_json(b"{}"), "`text` must be a str, got bytes"),
        (lambda: Model.from_json(None), "`text` must be a str, got NoneType"),
        (lambda: save_model({"r": 1.0}, "x.json"), "`model` must be a Model, got dict"),
        (lambda: save_model(NBD(r=1.0, alpha=1.0), 3), "`path` must be a str or path-like"),
        (lambda: load_model(None), "`path` must be a str or path-like, got NoneType"),
    ],
)
def test_wrong_types_raise_type_error(call: Callable[[], object], message: str) -> None:
    with pytest.raises(TypeError, match=message):
        call()


def test_a_namesake_outside_relmark_does_not_shadow_relmarks_model() -> None:
    import attrs

    @attrs.frozen(kw_only=True)
    class NBD(relmark.NBD):  # a user's subclass that happens to share the name
        pass

    text = fitted("NBD").to_json()
    assert type(Model.from_json(text)) is relmark.NBD  # the generic loader: relmark's own
    assert type(relmark.NBD.from_json(text)) is relmark.NBD
    assert type(NBD.from_json(text)) is NBD  # asked for by class: that class
