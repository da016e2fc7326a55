"""Models as JSON: the versioned ``relmark.model`` document, written and read exactly.

A fitted model saved in a notebook loads in a service without refitting:
its parameters and its whole ``fit_info`` (covariances included) go into one
JSON object whose schema is documented in ``docs/reference/model-json.md``.
Floats round-trip exactly (JSON numbers written by ``repr``, the shortest
text that reads back to the same double).  Reading checks everything once:
the schema and its version, the model's name, every key (none missing, none
unknown), every number (finite, of the right kind) and every shape, and
raises :class:`~relmark.exceptions.ValidationError` naming the key.

Schema version 1 stays readable by every later release; a later version
may only add optional keys.  Version 2 adds ``effects``, the covariates of a
model fitted with them; a model without covariates is still written as
version 1, so that older releases read it.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TypedDict, TypeVar, overload

import attrs
from typing_extensions import NotRequired

from relmark._validation import as_instance
from relmark.exceptions import ValidationError
from relmark.models._base import Model
from relmark.models._covariates import NO_EFFECTS, Effects, Term
from relmark.models._fitting import FitInfo

__all__ = [
    "SCHEMA",
    "SCHEMA_VERSION",
    "FitInfoDocument",
    "ModelDocument",
    "load_model",
    "model_document",
    "model_from_json",
    "model_to_json",
    "save_model",
]

#: The value of every document's ``"schema"`` key.
SCHEMA = "relmark.model"
#: The newest schema version this release writes and reads (1 for models without covariates).
SCHEMA_VERSION = 2

M = TypeVar("M", bound=Model)


class FitInfoDocument(TypedDict):
    """The ``"fit_info"`` object of a model document: every field of a FitInfo."""

    names: list[str]
    estimates: list[float]
    log_likelihood: float
    covariance: list[list[float]]
    log_covariance: list[list[float]]
    iterations: int
    n_customers: float
    n_rows: int
    seconds: float
    message: str


class TermDocument(TypedDict):
    """One covariate term of ``"effects"``: which multiplier moves which parameter, how."""

    coefficient: str
    covariate: str
    parameter: str
    sign: int


class EffectsDocument(TypedDict):
    """The ``"effects"`` object (version 2): a model's covariates; the values are in ``params``."""

    terms: list[TermDocument]
    penalty: float


class ModelDocument(TypedDict):
    """A ``relmark.model`` document: version 1, or 2 with ``effects`` (covariates)."""

    schema: str
    schema_version: int
    model: str
    relmark_version: str
    params: dict[str, float]
    fit_info: FitInfoDocument | None
    effects: NotRequired[EffectsDocument]


_DOCUMENT_KEYS = tuple(key for key in ModelDocument.__annotations__ if key != "effects")
_FIT_INFO_KEYS = tuple(FitInfoDocument.__annotations__)
_TERM_KEYS = tuple(TermDocument.__annotations__)
_EFFECTS_KEYS = tuple(EffectsDocument.__annotations__)


def model_document(model: Model) -> ModelDocument:
    """Return the ``relmark.model`` document of a model, as plain Python values.

    Parameters
    ----------
    model : Model
        Any relmark model, fitted or built from parameters.

    Returns
    -------
    dict
        The document: ``schema``, ``schema_version``, ``model``,
        ``relmark_version``, ``params`` and ``fit_info`` (``None`` without a
        fit).

    Raises
    ------
    TypeError
        If ``model`` is not a relmark model.

    Examples
    --------
    >>> import relmark
    >>> from relmark.models._persist import model_document
    >>> document = model_document(relmark.NBD(r=0.5, alpha=10.0))
    >>> document["model"], document["params"], document["fit_info"]
    ('NBD', {'r': 0.5, 'alpha': 10.0}, None)
    """
    import relmark  # the package's version, read at call time: relmark imports this module

    as_instance("model", model, Model)
    info = model.fit_info
    document = ModelDocument(
        schema=SCHEMA,
        schema_version=2 if model.effects else 1,
        model=type(model).__name__,
        relmark_version=relmark.__version__,
        params=model.params,
        fit_info=None if info is None else _fit_info_document(info),
    )
    if model.effects:
        document["effects"] = _effects_document(model.effects)
    return document


def _effects_document(effects: Effects) -> EffectsDocument:
    terms = [
        TermDocument(
            coefficient=term.coefficient,
            covariate=term.covariate,
            parameter=term.parameter,
            sign=term.sign,
        )
        for term in effects.terms
    ]
    return EffectsDocument(terms=terms, penalty=float(effects.penalty))


def _fit_info_document(info: FitInfo) -> FitInfoDocument:
    return FitInfoDocument(
        names=list(info.names),
        estimates=list(info.estimates),
        log_likelihood=float(info.log_likelihood),
        covariance=info.covariance.tolist(),
        log_covariance=info.log_covariance.tolist(),
        iterations=int(info.iterations),
        n_customers=float(info.n_customers),
        n_rows=int(info.n_rows),
        seconds=float(info.seconds),
        message=str(info.message),
    )


def model_to_json(model: Model) -> str:
    """Return a model as a ``relmark.model`` JSON document (indented, floats exact).

    Parameters
    ----------
    model : Model
        Any relmark model.

    Returns
    -------
    str

    Raises
    ------
    TypeError
        If ``model`` is not a relmark model.

    Examples
    --------
    >>> import relmark
    >>> from relmark.models._persist import model_to_json
    >>> print(model_to_json(relmark.ShiftedBetaGeo(alpha=0.704, beta=1.182)))
    {
      "schema": "relmark.model",
      "schema_version": 1,
      "model": "ShiftedBetaGeo",
      "relmark_version": "...",
      "params": {
        "alpha": 0.704,
        "beta": 1.182
      },
      "fit_info": null
    }
    """
    return json.dumps(model_document(model), indent=2, allow_nan=False)


@overload
def model_from_json(text: str) -> Model: ...


@overload
def model_from_json(text: str, kind: type[M]) -> M: ...


def model_from_json(text: str, kind: type[Model] = Model) -> Model:
    """Return the model a ``relmark.model`` JSON document describes.

    Parameters
    ----------
    text : str
        The document, as :func:`model_to_json` writes it.
    kind : type, default Model
        The class the model must be: its own class or a base (``Model``,
        the default, accepts every model).  The document's ``"model"``
        names the class.

    Returns
    -------
    Model
        An instance of the class the document names, equal in every
        parameter and in ``fit_info`` to the model that was written.

    Raises
    ------
    TypeError
        If ``text`` is not a string.
    ValidationError
        If ``text`` is not JSON, or not a ``relmark.model`` document of a
        version this release reads; if it names an unknown model or one that
        is not a ``kind``; if a key is missing or unknown, a number is not
        finite, of the wrong kind or out of range, or a list has the wrong
        length.  The message names the key.

    Examples
    --------
    >>> import relmark
    >>> from relmark.models._persist import model_from_json, model_to_json
    >>> text = model_to_json(relmark.NBD(r=0.5, alpha=10.0))
    >>> model_from_json(text)
    NBD(r=0.5, alpha=10)
    >>> model_from_json(text.replace('"NBD"', '"Bass"'))
    Traceback (most recent call last):
    ...
    relmark.exceptions.ValidationError: `model` names an unknown model 'Bass'; ...
    """
    document = _parse(as_instance("text", text, str))
    version = _check_schema(document)
    _check_keys("the document", document, _DOCUMENT_KEYS + (("effects",) if version > 1 else ()))
    cls = _model_class(document["model"], kind)
    effects = _effects(document["effects"], cls) if version > 1 else NO_EFFECTS
    own = cls.parameter_names()
    names = own + effects.names
    params = _mapping("params", document["params"])
    _check_keys("`params`", params, names)
    values: dict[str, object] = {
        name: _number(f"params.{name}", params[name], positive=True) for name in own
    }
    if effects:
        values["effects"] = effects.with_multipliers(
            [_number(f"params.{name}", params[name], positive=True) for name in effects.names]
        )
    _text("relmark_version", document["relmark_version"])
    raw_info = document["fit_info"]
    info = None if raw_info is None else _fit_info(_mapping("fit_info", raw_info), names)
    model: Model = cls(**values, fit_info=info)  # type: ignore[call-arg]
    return model


def _effects(raw: object, cls: type[Model]) -> Effects:
    """Return the covariate structure of a version-2 document, checked against ``cls``'s links."""
    effects = _mapping("effects", raw)
    _check_keys("`effects`", effects, _EFFECTS_KEYS)
    raw_terms = effects["terms"]
    if not isinstance(raw_terms, list) or not raw_terms:
        raise ValidationError(f"`effects.terms` must be a non-empty list, got {_kind(raw_terms)}")
    links = {(link.parameter, link.sign) for link in cls.links}
    terms = []
    for i, raw_term in enumerate(raw_terms):
        term = _mapping(f"effects.terms[{i}]", raw_term)
        _check_keys(f"`effects.terms[{i}]`", term, _TERM_KEYS)
        parameter = _text(f"effects.terms[{i}].parameter", term["parameter"])
        sign = _integer(f"effects.terms[{i}].sign", term["sign"], minimum=-1)
        if (parameter, sign) not in links:
            raise ValidationError(
                f"`effects.terms[{i}]` links {parameter!r} with sign {sign}, which "
                f"{cls.__name__} does not: its links are "
                + ", ".join(f"{p!r} (sign {s:+d})" for p, s in sorted(links))
            )
        terms.append(
            Term(
                _text(f"effects.terms[{i}].coefficient", term["coefficient"]),
                _text(f"effects.terms[{i}].covariate", term["covariate"]),
                parameter,
                sign,
            )
        )
    penalty = _number("effects.penalty", effects["penalty"], minimum=0.0)
    names = tuple(dict.fromkeys(term.coefficient for term in terms))
    return Effects(tuple(terms), [1.0] * len(names), penalty)


def save_model(model: Model, path: str | os.PathLike[str]) -> None:
    """Write a model to a file as a ``relmark.model`` JSON document (UTF-8).

    Parameters
    ----------
    model : Model
        Any relmark model, fitted or not.
    path : str or path-like
        The file to write (replaced if it exists).

    Raises
    ------
    TypeError
        If ``model`` is not a relmark model or ``path`` not a path.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import relmark
    >>> from relmark.datasets import cdnow_sample_summary
    >>> from relmark.models._persist import load_model, save_model
    >>> model = relmark.BetaGeo.fit(cdnow_sample_summary())
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "bgnbd.json"
    >>> save_model(model, path)
    >>> loaded = load_model(path)
    >>> loaded == model, loaded.fit_info == model.fit_info
    (True, True)
    """
    text = model_to_json(model)
    _path(path).write_text(text + "\n", encoding="utf-8")


def load_model(path: str | os.PathLike[str]) -> Model:
    """Read a model written by :func:`save_model`; its class is the one the file names.

    Parameters
    ----------
    path : str or path-like
        A ``relmark.model`` JSON file (UTF-8).

    Returns
    -------
    Model
        The model, of the class its ``"model"`` key names.

    Raises
    ------
    TypeError
        If ``path`` is not a path.
    ValidationError
        As :func:`model_from_json`, the message prefixed with the file.
    OSError
        If the file cannot be read.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import relmark
    >>> from relmark.models._persist import load_model
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "model.json"
    >>> _ = path.write_text(relmark.NBD(r=0.5, alpha=10.0).to_json(), encoding="utf-8")
    >>> load_model(path)
    NBD(r=0.5, alpha=10)
    """
    file = _path(path)
    text = file.read_text(encoding="utf-8")
    try:
        return model_from_json(text)
    except ValidationError as error:
        raise ValidationError(f"{file}: {error}", argument=error.argument) from None


# ------------------------------------------------------------------- reading


def _path(path: object) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"`path` must be a str or path-like, got {type(path).__name__}")
    return Path(path)


def _reject_constant(constant: str) -> float:
    raise ValidationError(f"the document holds the non-finite number {constant}; JSON has none")


def _finite_float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):  # 1e999 reads as inf
        raise ValidationError(f"the document holds the number {literal}, beyond a double's range")
    return value


def _parse(text: str) -> Mapping[str, object]:
    """Return the JSON object in ``text``, with every number checked finite."""
    try:
        document = json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    except json.JSONDecodeError as error:
        raise ValidationError(
            f"`text` is not JSON: {error.msg} (line {error.lineno}, column {error.colno})",
            argument="text",
        ) from None
    return _mapping("the document", document)


def _mapping(name: str, value: object) -> Mapping[str, object]:
    if not isinstance(value, dict):
        raise ValidationError(f"{_quoted(name)} must be a JSON object, got {_kind(value)}")
    return value


def _check_keys(name: str, value: Mapping[str, object], expected: Sequence[str]) -> None:
    missing = [key for key in expected if key not in value]
    unknown = [key for key in value if key not in expected]
    if missing:
        raise ValidationError(
            f"{name} is missing {', '.join(map(repr, missing))}; it needs {', '.join(expected)}"
        )
    if unknown:
        raise ValidationError(
            f"{name} has unknown key(s) {', '.join(map(repr, unknown))}; "
            f"it holds exactly {', '.join(expected)}"
        )


def _check_schema(document: Mapping[str, object]) -> int:
    """Check ``schema`` and ``schema_version``; return the version (1 or 2)."""
    for key in ("schema", "schema_version"):
        if key not in document:
            _check_keys("the document", document, _DOCUMENT_KEYS)  # says what is missing
    if document["schema"] != SCHEMA:
        raise ValidationError(
            f"`schema` must be {SCHEMA!r}, got {document['schema']!r}: not a relmark model document"
        )
    version = document["schema_version"]
    if not isinstance(version, int) or isinstance(version, bool):
        raise ValidationError(f"`schema_version` must be an integer, got {_kind(version)}")
    if version not in (1, SCHEMA_VERSION):
        newer = " (written by a newer relmark: upgrade to read it)" if version > 1 else ""
        raise ValidationError(
            f"`schema_version` {version} is unknown{newer}; this release reads versions 1 "
            f"and {SCHEMA_VERSION}"
        )
    return version


def _model_class(name: object, kind: type[M]) -> type[M]:
    """Return the model class ``name`` names, which must be ``kind`` or derive from it."""
    model = _text("model", name)
    if model == kind.__name__ and _concrete(kind):
        return kind  # the class asked for, even one outside relmark that shares a name
    classes = _model_classes()
    if model not in classes:
        raise ValidationError(
            f"`model` names an unknown model {model!r}; relmark's models are "
            f"{', '.join(sorted(classes))}"
        )
    cls = classes[model]
    if not issubclass(cls, kind):
        raise ValidationError(f"`model` is {model!r}, which is not a {kind.__name__}")
    return cls


def _model_classes() -> dict[str, type[Model]]:
    """Return every concrete model class by name, relmark's own over any namesake."""
    found: dict[str, type[Model]] = {}
    pending: list[type[Model]] = [Model]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if not _concrete(cls):
            continue
        known = found.get(cls.__name__)
        if known is None or not known.__module__.startswith("relmark."):
            found[cls.__name__] = cls
    return found


def _concrete(cls: type) -> bool:
    """Whether ``cls`` is a model with a parameter table, not an abstract base."""
    return attrs.has(cls) and hasattr(cls, "parameters")


def _fit_info(raw: Mapping[str, object], names: tuple[str, ...]) -> FitInfo:
    """Return the FitInfo of a document's ``fit_info`` object, checked key by key."""
    _check_keys("`fit_info`", raw, _FIT_INFO_KEYS)
    k = len(names)
    stored = raw["names"]
    if stored != list(names):
        raise ValidationError(
            f"`fit_info.names` must be the model's parameters {list(names)}, got {stored!r}"
        )
    estimates = [
        _number(f"fit_info.estimates[{i}]", value, positive=True)
        for i, value in enumerate(_list("fit_info.estimates", raw["estimates"], k))
    ]
    covariance = [
        _numbers(f"fit_info.covariance[{i}]", row, k)
        for i, row in enumerate(_list("fit_info.covariance", raw["covariance"], k))
    ]
    log_covariance = [
        _numbers(f"fit_info.log_covariance[{i}]", row, k)
        for i, row in enumerate(_list("fit_info.log_covariance", raw["log_covariance"], k))
    ]
    for name, matrix in (("covariance", covariance), ("log_covariance", log_covariance)):
        diagonal = [matrix[i][i] for i in range(k)]
        if min(diagonal) <= 0:
            raise ValidationError(
                f"`fit_info.{name}` must have a positive diagonal (variances), got {diagonal}"
            )
    return FitInfo(
        names=names,
        estimates=estimates,
        log_likelihood=_number("fit_info.log_likelihood", raw["log_likelihood"]),
        covariance=covariance,
        log_covariance=log_covariance,
        iterations=_integer("fit_info.iterations", raw["iterations"], minimum=0),
        n_customers=_number("fit_info.n_customers", raw["n_customers"], positive=True),
        n_rows=_integer("fit_info.n_rows", raw["n_rows"], minimum=1),
        seconds=_number("fit_info.seconds", raw["seconds"], minimum=0.0),
        message=_text("fit_info.message", raw["message"], empty=True),
    )


def _list(name: str, value: object, length: int) -> list[object]:
    if not isinstance(value, list):
        raise ValidationError(f"`{name}` must be a list of {length}, got {_kind(value)}")
    if len(value) != length:
        raise ValidationError(f"`{name}` must hold {length} values, got {len(value)}")
    return value


def _numbers(name: str, value: object, length: int) -> list[float]:
    return [_number(f"{name}[{i}]", v) for i, v in enumerate(_list(name, value, length))]


def _number(
    name: str, value: object, *, positive: bool = False, minimum: float | None = None
) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValidationError(f"`{name}` must be a number, got {_kind(value)}")
    try:
        number = float(value)
    except OverflowError:  # an integer literal beyond a double's range
        raise ValidationError(f"`{name}` is beyond a double's range, got {value}") from None
    if positive and not number > 0:
        raise ValidationError(f"`{name}` must be > 0, got {value!r}")
    if minimum is not None and number < minimum:
        raise ValidationError(f"`{name}` must be >= {minimum:g}, got {value!r}")
    return number


def _integer(name: str, value: object, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"`{name}` must be a whole number, got {_kind(value)}")
    if value < minimum:
        raise ValidationError(f"`{name}` must be >= {minimum}, got {value}")
    return value


def _text(name: str, value: object, *, empty: bool = False) -> str:
    if not isinstance(value, str) or not (empty or value):
        rule = "a string" if empty else "a non-empty string"
        raise ValidationError(f"`{name}` must be {rule}, got {_kind(value)}")
    return value


def _kind(value: object) -> str:
    """Describe a JSON value for a message: its JSON type and, if short, its text."""
    kinds = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    kind = "null" if value is None else kinds.get(type(value), "a number")
    text = json.dumps(value)
    return f"{kind} {text}" if len(text) <= 40 else kind


def _quoted(name: str) -> str:
    return name if name.startswith("the ") else f"`{name}`"
