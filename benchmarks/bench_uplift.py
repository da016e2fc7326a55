"""Uplift: relmark's ``measure_uplift`` and Qini vs scikit-uplift (``sklift``) with scikit-learn.

On a simulated randomised retention campaign
(:func:`relmark.datasets.simulate_campaign` with given baseline and
save-rate arrays: three standard-normal features ``x0, x1, x2``, baseline
retention ``logistic(0.3 + 0.8 x0 - 0.5 x1)``, save rate
``logistic(-1.5 + x2)``, half the customers treated) at 10^4, 10^5, 10^6
customers, one run prints side by side:

- Qini: relmark's ``qini_curve`` and ``qini_coefficient`` vs
  ``sklift.metrics.qini_curve`` and ``qini_auc_score``, for three scores:
  the true effect, the two-model estimate and the true effect rounded to
  two decimals (many ties).  Normalisations: ``qini_auc_score`` (with its
  default ``negative_effect=True``) is the area between the Qini curve and
  the random line divided by that of the perfect ordering that puts
  treated responders first and control responders last; relmark's
  ``qini_coefficient(normalize=True)`` is the same ratio (Radcliffe 2007),
  so they are compared directly.  The raw areas differ in their x axis:
  sklift integrates over customers targeted (0..n), relmark over the
  fraction (0..1), so relmark's ``area * n`` is compared with sklift's
  area.  The curves' points (customers targeted and incremental gain after
  each tied group) are compared one by one.
- Per-customer uplift, two models: ``measure_uplift(treated, outcome,
  features=...)`` (Newton logistic fits, plus the overall Newcombe
  interval, the delta-method per-customer intervals and the Qini) vs
  ``sklift.models.TwoModels(method="vanilla")`` with two scikit-learn
  ``LogisticRegression(C=inf)`` (no penalty; scikit-learn 1.8 deprecated
  ``penalty=None`` for ``C=np.inf``), at its default tolerance
  (``tol=1e-4``, ``max_iter=100``) and at a tight one (``tol=1e-10``,
  ``max_iter=10000``).  The uplift ``p_T(x) - p_C(x)`` of the two is checked
  to agree per customer (max absolute difference printed, asserted below
  1e-6 for the tight fit, 1e-3 for the default one).

Qini values are checked before any time is printed.  Times are medians of
``--repeat`` runs; load average before and after.

Run: ``python benchmarks/bench_uplift.py [--sizes 1e4 1e5 1e6] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import os
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from _common import median_time  # benchmarks/ is on the path when run as a script

from relmark.datasets import simulate_campaign
from relmark.economics.uplift import measure_uplift, qini_coefficient, qini_curve

try:
    import sklearn
    import sklift
    from sklearn.linear_model import LogisticRegression
    from sklift.metrics import qini_auc_score
    from sklift.metrics import qini_curve as sklift_qini_curve
    from sklift.models import TwoModels
except ImportError as error:  # pragma: no cover - the bench extra has them
    sklift = None
    MISSING = str(error)
else:
    MISSING = ""

TIGHT = 1e-6  # per-customer uplift, tight scikit-learn fit
LOOSE = 1e-3  # per-customer uplift, scikit-learn's default tolerance


def campaign(n: int, seed: int = 2026) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return features (n, 3), treated, outcome and the true effect of a simulated campaign."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 3))
    baseline = 1.0 / (1.0 + np.exp(-(0.3 + 0.8 * x[:, 0] - 0.5 * x[:, 1])))
    save_rate = 1.0 / (1.0 + np.exp(-(-1.5 + x[:, 2])))
    outcome = simulate_campaign(np.arange(n), baseline=baseline, effect=save_rate, rng=seed + 1)
    return x, outcome.treated, outcome.outcome, outcome.true_effect


def quiet(function: Callable[[], Any]) -> Callable[[], Any]:
    """Wrap a peer call so its warnings (e.g. convergence at default tolerance) stay quiet."""

    def call() -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return function()

    return call


def two_models(x: np.ndarray, treated: np.ndarray, outcome: np.ndarray, tight: bool) -> Any:
    """sklift's two-model uplift with unpenalised scikit-learn logistic regressions."""
    options: dict[str, Any] = {"C": np.inf}
    if tight:
        options.update(tol=1e-10, max_iter=10_000)
    model = TwoModels(
        estimator_trmnt=LogisticRegression(**options),
        estimator_ctrl=LogisticRegression(**options),
        method="vanilla",
    )
    model.fit(x, outcome.astype(np.int64), treated.astype(np.int64))
    return model.predict(x)


def qini_agree(score: np.ndarray, treated: np.ndarray, outcome: np.ndarray) -> float:
    """Check relmark's Qini against sklift's; return |coefficient difference|."""
    ours = qini_curve(score, treated, outcome)
    y, t = outcome.astype(np.int64), treated.astype(np.int64)
    targeted, gain = quiet(lambda: sklift_qini_curve(y, score, t))()
    np.testing.assert_array_equal(ours.targeted, targeted)
    np.testing.assert_allclose(ours.gain, gain, rtol=1e-9, atol=1e-9)
    theirs = float(quiet(lambda: qini_auc_score(y, score, t))())
    np.testing.assert_allclose(ours.coefficient, theirs, rtol=1e-9, atol=1e-12)
    # sklift's unnormalised area: trapezoids over customers targeted, minus the random line
    n = score.size
    raw = float(np.trapezoid(gain, targeted)) - 0.5 * n * float(gain[-1])
    np.testing.assert_allclose(ours.area * n, raw, rtol=1e-9, atol=1e-6)
    return abs(ours.coefficient - theirs)


def main() -> None:
    """Run the benchmark and print the tables."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[1e4, 1e5, 1e6])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    one, five, _ = os.getloadavg()
    print(f"load average before: {one:.2f} (1 min), {five:.2f} (5 min); {os.cpu_count()} cores")
    if sklift is None:
        print(f"scikit-uplift skipped: not installed ({MISSING}); relmark times only")
    else:
        print(f"scikit-uplift {sklift.__version__}, scikit-learn {sklearn.__version__}")
    qini_rows: list[str] = []
    model_rows: list[str] = []
    worst_qini = 0.0
    for size in args.sizes:
        n = int(size)
        x, treated, outcome, truth = campaign(n)
        columns = {"x0": x[:, 0], "x1": x[:, 1], "x2": x[:, 2]}
        seconds, fitted = median_time(
            lambda c=columns, t=treated, y=outcome: measure_uplift(t, y, features=c), args.repeat
        )
        estimate = np.asarray(fitted.per_customer)
        scores = {
            "true effect": truth,
            "two-model estimate": estimate,
            "true effect, 2 dp": np.round(truth, 2),
        }
        for name, score in scores.items():
            if sklift is not None:
                worst_qini = max(worst_qini, qini_agree(score, treated, outcome))
            ours_s, coefficient = median_time(
                lambda s=score, t=treated, y=outcome: qini_coefficient(s, t, y), args.repeat
            )
            line = f"{n:>10,}  {name:<20}{coefficient:>10.4f}{ours_s:>11.4f}"
            if sklift is not None:
                theirs_s, _ = median_time(
                    quiet(
                        lambda s=score, t=treated, y=outcome: qini_auc_score(
                            y.astype(np.int64), s, t.astype(np.int64)
                        )
                    ),
                    args.repeat,
                )
                line += f"{theirs_s:>11.4f}{theirs_s / ours_s:>8.1f}x"
            qini_rows.append(line)
        line = f"{n:>10,}{seconds:>11.3f}"
        if sklift is not None:
            for tight, tolerance in ((False, LOOSE), (True, TIGHT)):
                theirs_s, uplift = median_time(
                    quiet(
                        lambda x=x, t=treated, y=outcome, tight=tight: two_models(x, t, y, tight)
                    ),
                    args.repeat,
                )
                gap = float(np.max(np.abs(np.asarray(uplift) - estimate)))
                assert gap < tolerance, f"two-model uplift differs by {gap:.2e} at n={n:,}"
                line += f"{theirs_s:>11.3f}{theirs_s / seconds:>7.1f}x{gap:>10.1e}"
        model_rows.append(line)
        del x, treated, outcome, truth, fitted, estimate, scores

    one, five, _ = os.getloadavg()
    print(f"load average after: {one:.2f} (1 min), {five:.2f} (5 min)")
    print(f"\nQini coefficient (medians of {args.repeat} runs; ratio = sklift / relmark)")
    print(
        f"{'customers':>10}  {'score':<20}{'Qini':>10}{'relmark s':>11}{'sklift s':>11}{'ratio':>9}"
    )
    print("\n".join(qini_rows))
    if sklift is not None:
        print(
            f"curves identical (points exact, gains to 1e-9); coefficients differ by at most "
            f"{worst_qini:.1e}; relmark area * n = sklift's raw area"
        )
    print(f"\nper-customer two-model uplift (medians of {args.repeat} runs)")
    print(
        f"{'customers':>10}{'relmark s':>11}{'sk default':>11}{'ratio':>8}{'max diff':>10}"
        f"{'sk tight':>11}{'ratio':>8}{'max diff':>10}"
    )
    print("\n".join(model_rows))


if __name__ == "__main__":
    main()
