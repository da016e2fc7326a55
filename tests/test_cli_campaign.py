"""``relmark campaign``: score a file of purchases, plan offers under a budget, write the list."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.csv as pv
import pyarrow.parquet as pq
import pytest

import relmark
import relmark.datasets
from relmark.__main__ import OFFER_KEYS, main

OBSERVATION_END = "1997-09-30"

MAIL = {"name": "mail", "channel": "email", "contact_cost": 0.5, "save_rate": 0.1}
CALL = {"name": "call", "channel": "phone", "contact_cost": 4, "offer_cost": 2,
        "save_rate": 0.3, "segments": ["At risk", "Can't lose them", "Champions"],
        "capacity": 50}  # fmt: skip


@pytest.fixture(scope="module")
def purchases(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The embedded CDNOW sample as a user's CSV file: customer, day, amount."""
    log = relmark.datasets.load_cdnow_sample()
    stamps = log.timestamp.astype("datetime64[D]").astype(str)
    assert log.amount is not None
    rows = "".join(
        f"{c},{d},{a}\n" for c, d, a in zip(log.customer_id, stamps, log.amount, strict=True)
    )
    source = tmp_path_factory.mktemp("campaign") / "purchases.csv"
    source.write_text("cid,day,value\n" + rows)
    return source


@pytest.fixture(scope="module")
def summary() -> relmark.CustomerSummary:
    return relmark.datasets.load_cdnow_sample().summarize(OBSERVATION_END, unit="W")


def offers_file(folder: Path, offers: object, name: str = "offers.json") -> Path:
    path = folder / name
    path.write_text(offers if isinstance(offers, str) else json.dumps(offers))
    return path


def campaign_args(purchases: Path, offers: Path, out: Path | str, *more: str) -> list[str]:
    return ["campaign", str(purchases), "--customer-col", "cid", "--date-col", "day",
            "--amount-col", "value", "--observation-end", OBSERVATION_END, "--offers",
            str(offers), "--out", str(out), *more]  # fmt: skip


def report(err: str) -> list[str]:
    return [line.removeprefix("relmark: ") for line in err.splitlines()]


def test_a_campaign_is_the_plan_of_the_library_on_the_chosen_models(
    purchases: Path,
    summary: relmark.CustomerSummary,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    offers = offers_file(tmp_path, [MAIL, CALL])
    out, summary_out = tmp_path / "targets.csv", tmp_path / "summary.csv"
    args = campaign_args(purchases, offers, out, "--horizon", "52", "--discount-rate", "0.002",
                         "--margin", "0.3", "--budget", "150", "--max-offers", "2",
                         "--level", "0.8", "--summary-out", str(summary_out))  # fmt: skip
    assert main(args) == 0
    lines = report(capsys.readouterr().err)
    # the model is chosen as `relmark score` chooses it, and the report says why
    assert "chose MBG/NBD: lowest BIC 19,195.3 vs BG/NBD 19,195.9, Pareto/NBD 19,221.0" in lines

    # the same plan from the library: MBG/NBD (by BIC) and Gamma-Gamma fitted on all customers,
    # the CLV over 52 weeks, its 80% delta-method interval, the RFM segments
    model = relmark.ModifiedBetaGeo.fit(summary)
    assert summary.monetary_value is not None
    spend = relmark.GammaGamma.fit(summary.subset(summary.monetary_value > 0))
    options = {"horizon": 52.0, "discount_rate": 0.002, "margin": 0.3}
    clv = relmark.customer_lifetime_value(model, spend, summary, **options)
    bands = relmark.prediction_intervals(summary, model, spend, **options, method="delta",
                                         level=0.8)  # fmt: skip
    alive, value = bands["probability_alive"], bands["clv"]
    assert np.all(value.lower <= clv) and np.all(clv <= value.upper)
    segment = relmark.rfm_segments(relmark.rfm_scores(summary)).astype(str)
    p_alive = model.probability_alive(summary)  # a save keeps the value given alive
    expected = relmark.plan_campaign(
        summary.customer_id,
        1.0 - p_alive,
        clv / p_alive,
        [
            relmark.Offer(name="mail", channel="email", contact_cost=0.5, save_rate=0.1),
            relmark.Offer(
                name="call",
                channel="phone",
                contact_cost=4.0,
                offer_cost=2.0,
                save_rate=0.3,
                eligible={"At risk", "Can't lose them", "Champions"},
                capacity=50,
            ),
        ],  # MAIL and CALL
        budget=150.0,
        max_offers=2,
        value_lower=value.lower / p_alive,
        value_upper=value.upper / p_alive,
        churn_lower=1.0 - alive.upper,
        churn_upper=1.0 - alive.lower,
        segment=segment,
    )
    written = pv.read_csv(out).to_pydict()
    table = expected.targets.to_dict()
    assert list(written) == list(table)
    assert len(written["customer_id"]) == len(expected.targets) > 100
    for name in ("customer_id", "offer", "channel", "segment", "reason"):
        assert written[name] == table[name].tolist(), name
    for name in ("expected_gain", "gain_lower", "gain_upper", "expected_cost",
                 "churn_probability", "remaining_value"):  # fmt: skip
        np.testing.assert_allclose(written[name], table[name], rtol=1e-9, err_msg=name)
    # the gain interval is a real interval around the estimate, and the budget holds
    gains = np.array(written["expected_gain"])
    assert np.all(np.array(written["gain_lower"]) < gains)
    assert np.all(gains < np.array(written["gain_upper"]))
    assert sum(written["expected_cost"]) <= 150.0
    # the call goes to its segments only, within its capacity
    calls = [s for s, o in zip(written["segment"], written["offer"], strict=True) if o == "call"]
    assert 0 < len(calls) <= 50 and set(calls) <= set(CALL["segments"])

    per_offer = pv.read_csv(summary_out).to_pydict()
    assert per_offer["offer"] == ["mail", "call"] and per_offer["channel"] == ["email", "phone"]
    assert per_offer["contacts"] == expected.offers.contacts.tolist()
    for name in ("expected_cost", "value_kept", "net_gain", "roi"):
        np.testing.assert_allclose(per_offer[name], getattr(expected.offers, name), rtol=1e-9)
    # the report: per offer, the totals against the budget, the method and the certified gap
    contacts = expected.offers.contacts
    assert any(line.startswith(f"offer mail (email): {contacts[0]:,} contacts, expected cost ")
               for line in lines)  # fmt: skip
    assert any(line.startswith(f"offer call (phone): {contacts[1]:,} contacts") for line in lines)
    assert (
        f"total expected cost {expected.cost:,.2f} of the budget 150.00; value kept "
        f"{expected.value_kept:,.2f}; net gain {expected.net_gain:,.2f}"
    ) in lines
    assert (
        f"plan: {expected.chosen} (method {expected.method}); certified gap "
        f"{expected.upper_bound - expected.net_gain:,.2f} (no plan gains more than "
        f"{expected.upper_bound:,.2f})"
    ) in lines
    assert lines[-1] == "done"


def test_a_measured_uplift_comes_from_the_past_campaign(
    purchases: Path,
    summary: relmark.CustomerSummary,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # a past campaign on 2,000 of the customers: retained as P(alive) of MBG/NBD says without
    # a contact; a contact saves 40% of the repeat buyers who would go and 10% of the others
    model = relmark.ModifiedBetaGeo.fit(summary)
    alive = model.probability_alive(summary)
    rng = np.random.default_rng(20261202)
    who = np.sort(rng.choice(len(summary), 2000, replace=False))
    save = np.where(summary.frequency[who] > 0, 0.4, 0.1)
    past = relmark.datasets.simulate_campaign(
        summary.customer_id[who], baseline=alive[who], effect=save, rng=7
    )
    rows = "".join(
        f"{c};{int(t)};{str(bool(y)).lower()}\n"  # 1/0 and true/false flags
        for c, t, y in zip(past.customer_id, past.treated, past.outcome, strict=True)
    )
    past_file = tmp_path / "past.csv"
    past_file.write_text("id;contacted;kept\n" + rows)
    measured = {"name": "call", "channel": "phone", "contact_cost": 3, "uplift": "measured"}
    offers = offers_file(tmp_path, [MAIL, measured])
    args = campaign_args(purchases, offers, "-", "--budget", "inf", "--past-campaign",
                         str(past_file), "--past-id-col", "id", "--treated-col", "contacted",
                         "--outcome-col", "kept")  # fmt: skip
    assert main(args) == 0
    captured = capsys.readouterr()
    lines = report(captured.err)
    assert any(line.startswith(f"measured uplift on {past_file}: 1,000 treated, 1,000 in the "
                               "control group") for line in lines)  # fmt: skip
    assert any(
        line.startswith("per customer by two-model logistic fits on frequency, recency, T, "
                        "probability_alive")
        for line in lines
    )  # fmt: skip

    # the same uplift from the library, predicted for every customer
    features = {"frequency": summary.frequency, "recency": summary.recency, "T": summary.T,
                "probability_alive": alive}  # fmt: skip
    uplift = relmark.measure_uplift(
        past.treated, past.outcome, features={k: v[who] for k, v in features.items()}, level=0.9
    )
    per_customer = uplift.predict(features)
    # it finds the truth's shape: repeat buyers gain more from a call than one-time buyers
    repeat = summary.frequency > 0
    assert per_customer[repeat].mean() > per_customer[~repeat].mean() + 0.05
    written = pv.read_csv(io.BytesIO(captured.out.encode())).to_pydict()
    calls = np.array(written["offer"]) == "call"
    assert calls.sum() > 50  # the budget is unlimited: everyone worth a call gets one
    index = {c: i for i, c in enumerate(summary.customer_id.tolist())}
    rows_called = np.array([index[c] for c in np.array(written["customer_id"])[calls]])
    churn = 1.0 - alive[rows_called]
    tau = np.clip(per_customer[rows_called], churn - 1.0, churn)
    value = np.array(written["remaining_value"])[calls]
    # expected gain of a call = uplift x value - contact cost (no incentive)
    np.testing.assert_allclose(
        np.array(written["expected_gain"])[calls], tau * value - 3.0, rtol=1e-9, atol=1e-9
    )
    # and nobody called has a measured uplift too small to pay for the call
    assert np.all(tau * value > 3.0)


def test_the_target_list_is_parquet_by_the_extension(
    purchases: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    offers = offers_file(tmp_path, [MAIL])
    out, summary_out = tmp_path / "targets.parquet", tmp_path / "summary.pq"
    args = campaign_args(purchases, offers, out, "--budget", "20", "--summary-out",
                         str(summary_out), "--models", "bg", "--holdout", "13")  # fmt: skip
    assert main(args) == 0
    lines = report(capsys.readouterr().err)
    assert "choosing among BG/NBD by their forecast of the last 13 W" in lines[2]
    assert any(line.startswith("refitted on the full period: BG/NBD: r 0.2426") for line in lines)
    table = pq.read_table(out)
    assert table.column_names[:3] == ["customer_id", "offer", "channel"]
    assert table.schema.field("customer_id").type == "int64"
    assert 0 < table.num_rows <= 40 and sum(table.column("expected_cost").to_pylist()) <= 20.0
    assert pq.read_table(summary_out).column("contacts").to_pylist() == [table.num_rows]


# -- a bad offers file: one line naming the file, the offer and the key, exit code 2 -----------


@pytest.mark.parametrize(
    ("offers", "message"),
    [
        ("[{", "not valid JSON: Expecting property name enclosed in double quotes (line 1, "
         "column 3)"),
        ('{"name": "mail"}', "must be a JSON list of offers (objects), got an object"),
        ("[]", "the list holds no offers"),
        ('[{"name": "a", "name": "b"}]', 'offer 1 of 1 (\'b\'): the key "name" is given twice'),
        ([MAIL, ["call"]], 'offer 2 of 2: must be an object {"name": ..., "channel": ..., ...}, '
         'got a list ["call"]'),
        ([MAIL, {**MAIL, "name": "call", "cost": 3}],
         'offer 2 of 2 (\'call\'): unknown key "cost"; the keys are "name", "channel", '
         '"contact_cost", "offer_cost", "save_rate", "uplift", "segments", "capacity"'),
        ([{"name": "mail", "channel": "email", "save_rate": 0.1}],
         "offer 1 of 1 ('mail'): missing \"contact_cost\""),
        ([{"channel": "email", "contact_cost": 1, "save_rate": 0.1}],
         'offer 1 of 1: missing "name"'),
        ([{**MAIL, "uplift": 0.1}],
         "offer 1 of 1 ('mail'): give exactly one of \"save_rate\" and \"uplift\", got both"),
        ([{k: v for k, v in MAIL.items() if k != "save_rate"}],
         "offer 1 of 1 ('mail'): give exactly one of \"save_rate\" and \"uplift\", got neither"),
        ([{**MAIL, "contact_cost": "cheap"}],
         "offer 1 of 1 ('mail'): \"contact_cost\" must be a number, got a string \"cheap\""),
        ([{**MAIL, "contact_cost": True}],
         "offer 1 of 1 ('mail'): \"contact_cost\" must be a number, got a boolean true"),
        ([{**MAIL, "offer_cost": -2}],
         "offer 1 of 1 ('mail'): \"offer_cost\" must be >= 0, got -2"),
        ([{**MAIL, "save_rate": 1.5}],
         "offer 1 of 1 ('mail'): \"save_rate\" must be in [0, 1], got 1.5"),
        ([{k: v for k, v in {**CALL, "uplift": "guessed"}.items() if k != "save_rate"}],
         "offer 1 of 1 ('call'): \"uplift\" must be a number in [-1, 1] or \"measured\", got "
         '"guessed"'),
        ([{**MAIL, "channel": "fax"}],
         "offer 1 of 1 ('mail'): \"channel\" must be one of 'email', 'social', 'phone', "),
        ([{**MAIL, "capacity": 2.5}],
         "offer 1 of 1 ('mail'): \"capacity\" must be a whole number >= 0, got 2.5"),
        ([{**MAIL, "segments": "At risk"}],
         "offer 1 of 1 ('mail'): \"segments\" must be a non-empty list of RFM segment names, got "
         'a string "At risk"'),
        ([{**MAIL, "segments": ["At risk", "Champs"]}],
         "offer 1 of 1 ('mail'): \"segments\": unknown RFM segment 'Champs'; the segments are "
         "'Champions', 'Loyal', "),
        ([MAIL, MAIL], "offer 2 of 2 ('mail'): \"name\" 'mail' is also offer 1's"),
        ([{k: v for k, v in {**MAIL, "uplift": "measured"}.items() if k != "save_rate"}],
         "offer 1 of 1 ('mail'): \"uplift\": \"measured\" needs --past-campaign FILE"),
        ('[{"name": "mail", "channel": "email", "contact_cost": NaN, "save_rate": 0.1}]',
         "NaN is not a number JSON allows"),
    ],
)  # fmt: skip
def test_a_bad_offers_file_is_one_line_naming_the_offer_and_the_key(
    purchases: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    offers: object,
    message: str,
) -> None:
    file = offers_file(tmp_path, offers)
    out = tmp_path / "targets.csv"
    assert main(campaign_args(purchases, file, out, "--budget", "100")) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith(f"relmark campaign: error: {file}: {message}"), err
    assert not out.exists()  # refused before the purchases are even read


def test_a_past_campaign_without_a_measured_offer_is_refused(
    purchases: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = offers_file(tmp_path, [MAIL])
    past = tmp_path / "past.csv"
    past.write_text("cid,treated,outcome\n1,1,1\n2,0,0\n")
    args = campaign_args(purchases, file, tmp_path / "t.csv", "--budget", "9",
                         "--past-campaign", str(past))  # fmt: skip
    assert main(args) == 2
    assert capsys.readouterr().err.splitlines() == [
        f'relmark campaign: error: {file}: no offer has "uplift": "measured", so '
        f"--past-campaign '{past}' would not be used: drop it, or measure an offer's uplift on it"
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("cid,treated,outcome\n1,1,1\n2,0,0\n1,0,1\n",
         "the customer id 1 is on more than one row (1 id is): give each customer"),
        ("cid,treated,outcome\n1,1,1\n99999,0,0\n",
         "1 of 2 customers of the past campaign are not in the purchases (first: '99999')"),
        ("cid,treated,outcome\n1,yes,1\n2,no,0\n",
         "column 'treated' must be true/false or 1/0; 2 of 2 customers have another value"),
        ("cid,treated,outcome\n1,1,1\n2,1,0\n",
         "`treated` has no control group (all 2 customers are True)"),
    ],
)  # fmt: skip
def test_a_bad_past_campaign_is_one_line_naming_the_file(
    purchases: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    content: str,
    message: str,
) -> None:
    measured = {"name": "call", "channel": "phone", "contact_cost": 3, "uplift": "measured"}
    file = offers_file(tmp_path, [measured])
    past = tmp_path / "past.csv"
    past.write_text(content)
    out = tmp_path / "t.csv"
    args = campaign_args(purchases, file, out, "--budget", "9", "--past-campaign", str(past),
                         "--models", "bg")  # fmt: skip
    assert main(args) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[-1].startswith(f"relmark campaign: error: {past}: "), err[-1]
    assert message in err[-1], err[-1]
    assert not any(line.startswith("relmark campaign: error:") for line in err[:-1])
    assert not out.exists()


# -- options and outputs that cannot lose data -------------------------------------------------


@pytest.mark.parametrize(
    ("more", "message"),
    [
        (["--amount-col", None],
         "--amount-col is required: the value a campaign keeps is each customer's CLV, which "
         "needs the purchase amounts (see relmark campaign --help)"),
        (["--treated-col", "t"],
         "--treated-col choose columns of --past-campaign FILE: give the file "
         "(see relmark campaign --help)"),
        (["--budget", "-5"], "argument --budget: '-5': give an amount >= 0 (inf for no limit)"),
        (["--budget", "nan"], "argument --budget: 'nan': give an amount >= 0"),
        (["--max-offers", "1.5"], "argument --max-offers: '1.5': give a whole number >= 0"),
        (["--level", "90"], "argument --level: '90': give a level between 0 and 1, e.g. 0.9"),
    ],
)  # fmt: skip
def test_bad_options_are_one_line_usage_errors(
    purchases: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    more: list[str | None],
    message: str,
) -> None:
    file = offers_file(tmp_path, [MAIL])
    args = campaign_args(purchases, file, tmp_path / "t.csv", "--budget", "10")
    if more[1] is None:  # drop the option and its value
        at = args.index(str(more[0]))
        del args[at : at + 2]
    else:
        args += [str(option) for option in more]
    assert main(args) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith(f"relmark campaign: error: {message}"), err


def test_no_output_may_be_an_input_or_the_other_output(
    purchases: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = offers_file(tmp_path, [MAIL])
    before = purchases.read_bytes(), file.read_bytes()
    link = tmp_path / "link.csv"
    link.symlink_to(purchases)
    cases = [
        (["--out", str(purchases)], f"--out '{purchases}' is the input file '{purchases}'; "
         "writing the target list there would destroy the purchases: choose another file"),
        (["--out", str(link)], f"--out '{link}' is the input file '{purchases}'"),
        (["--out", str(file)], f"--out '{file}' is the input file '{file}'; writing the target "
         "list there would destroy the offers"),
        (["--summary-out", str(file)], f"--summary-out '{file}' is the input file '{file}'; "
         "writing the summary there would destroy the offers"),
        (["--summary-out", str(tmp_path / "t.csv")],
         f"--summary-out '{tmp_path / 't.csv'}' is the file of --out '{tmp_path / 't.csv'}': "
         "give each its own file"),
        (["--out", "-", "--summary-out", "-"],
         "--out and --summary-out are both standard output (-): give one of them a file"),
    ]  # fmt: skip
    for more, message in cases:
        args = campaign_args(purchases, file, tmp_path / "t.csv", "--budget", "10", *more)
        assert main(args) == 2
        err = capsys.readouterr().err.splitlines()
        assert len(err) == 1 and err[0].startswith(f"relmark campaign: error: {message}"), err
        assert (purchases.read_bytes(), file.read_bytes()) == before
    # the past campaign is an input too
    measured = {"name": "call", "channel": "phone", "contact_cost": 3, "uplift": "measured"}
    offers = offers_file(tmp_path, [measured], "measured.json")
    past = tmp_path / "past.csv"
    past.write_text("cid,treated,outcome\n1,1,1\n2,0,0\n")
    args = campaign_args(purchases, offers, past, "--budget", "1", "--past-campaign", str(past))
    assert main(args) == 2
    assert capsys.readouterr().err.strip() == (
        f"relmark campaign: error: --out '{past}' is the input file '{past}'; writing the target "
        "list there would destroy the past campaign: choose another file"
    )
    assert past.read_text() == "cid,treated,outcome\n1,1,1\n2,0,0\n"


def test_an_interrupted_campaign_says_what_it_left(
    purchases: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import relmark.__main__ as cli

    calls = []
    write = cli.write_columns

    def interrupted(*args: Any, **kwargs: Any) -> None:
        calls.append(args[0])
        if len(calls) > 1:
            raise KeyboardInterrupt
        write(*args, **kwargs)

    # interrupted while writing the summary, after the target list was written in full
    monkeypatch.setattr(cli, "write_columns", interrupted)
    out, summary_out = tmp_path / "t.csv", tmp_path / "s.csv"
    args = campaign_args(purchases, offers_file(tmp_path, [MAIL]), out, "--budget", "5",
                         "--models", "bg", "--summary-out", str(summary_out))  # fmt: skip
    assert main(args) == 130
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"relmark campaign: interrupted; {out} was written in full; nothing else was written"
    )
    assert out.read_text().startswith('"customer_id","offer"') and not summary_out.exists()


def test_relmark_help_lists_campaign_and_its_help_explains_every_option() -> None:
    listed = subprocess.run(
        [sys.executable, "-m", "relmark", "--help"], capture_output=True, text=True, check=True
    )
    listing = " ".join(listed.stdout.split())
    assert "campaign score a file of purchases and plan retention offers under a budget" in listing
    done = subprocess.run([sys.executable, "-m", "relmark", "campaign", "--help"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    text = done.stdout
    for option in ("--customer-col", "--date-col", "--amount-col", "--delimiter", "--encoding",
                   "--date-format", "--returns", "--observation-end", "--unit", "--horizon",
                   "--holdout", "--models", "--discount-rate", "--margin", "--offers", "--budget",
                   "--max-offers", "--level", "--past-campaign", "--past-id-col", "--treated-col",
                   "--outcome-col", "--out", "--summary-out"):  # fmt: skip
        assert f"  {option}" in text, option
    for key in OFFER_KEYS:
        assert f'"{key}"' in text, key


def test_when_nobody_leaves_there_is_no_campaign_and_the_report_says_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # every customer keeps buying to the end, for the same amount each time (as in test_cli):
    # the limits stand in (NBD, one common mean spend), which have no intervals, and with
    # churn 0 no contact keeps anything
    rng = np.random.default_rng(20261202)
    rows = []
    for customer, rate in enumerate(rng.gamma(2.0, 0.05, size=400)):
        start = int(rng.integers(0, 100))
        days = start + np.flatnonzero(rng.random(365 - start) < rate)
        rows += [f"c{customer},{np.datetime64('2024-01-01') + int(d)},20.00\n" for d in days]
    source = tmp_path / "steady.csv"
    source.write_text("cid,day,value\n" + "".join(rows))
    out = tmp_path / "targets.csv"
    args = ["campaign", str(source), "--customer-col", "cid", "--date-col", "day",
            "--amount-col", "value", "--observation-end", "2024-12-30", "--models", "bg",
            "--offers", str(offers_file(tmp_path, [MAIL, CALL])), "--budget", "100",
            "--out", str(out)]  # fmt: skip
    assert main(args) == 0
    lines = report(capsys.readouterr().err)
    assert any(line.startswith("NBD (no dropout): r ") for line in lines)
    assert any(line.startswith("no intervals of value and churn (") for line in lines)
    assert (
        "plan: no campaign (method exact); certified gap 0.00 (no plan gains more than 0.00)"
        in lines
    )
    assert out.read_text().splitlines() == [
        '"customer_id","offer","channel","expected_gain","gain_lower","gain_upper",'
        '"expected_cost","churn_probability","remaining_value","segment","reason"'
    ]
