"""Campaign planning: time, certified gap, and the single-offer greedy it replaces.

On simulated customers (churn ~ Beta(1, 2), remaining value ~ Gamma(2, 100)) with
two offers, an uncapped e-mail (contact 1, save rate 5 %) and a call with an
incentive (contact 15, incentive 5, save rate 30 %) capped at 5 % of the base,
a budget of 1 per customer and up to two offers each:

- median time of :func:`relmark.plan_campaign` at 10^4, 10^5, 10^6 customers
  (``method="auto"``: exact up to 2,000 options, HiGHS LP up to 20,000, then
  the Lagrangian dual), the method used, the net gain, the proven upper bound
  and the relative gap ``(upper_bound - net_gain) / net_gain``;
- the HiGHS LP (``method="lp"``) at 10^4 for comparison (74 s at 10^5 when measured);
- one offer under a budget: the plan vs :func:`relmark.retention_campaign`'s
  ranking cut at the budget (take the best-gain customers while the money lasts).

Run: ``python benchmarks/bench_campaigns.py [--quick]``.
"""

from __future__ import annotations

import argparse

import numpy as np
from _common import median_time  # benchmarks/ is on the path when run as a script

from relmark import retention_campaign
from relmark.economics.campaigns import Offer, plan_campaign


def customers(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return np.arange(n), rng.beta(1.0, 2.0, n), rng.gamma(2.0, 100.0, n)


def offers(n: int) -> list[Offer]:
    return [
        Offer(name="mail", channel="email", contact_cost=1.0, save_rate=0.05),
        Offer(
            name="call",
            channel="phone",
            contact_cost=15.0,
            offer_cost=5.0,
            save_rate=0.3,
            capacity=max(n // 20, 1),
        ),
    ]


def allocation(sizes: list[int], repeat: int) -> None:
    print("customers  asked -> used      median s   net gain        upper bound     rel. gap")
    for n in sizes:
        ids, churn, value = customers(n)
        for method in ("auto", "lp") if n <= 10_000 else ("auto",):
            seconds, plan = median_time(
                lambda method=method, ids=ids, churn=churn, value=value, n=n: plan_campaign(
                    ids, churn, value, offers(n), budget=float(n), max_offers=2, method=method
                ),
                repeat=repeat if method == "auto" else 1,
            )
            print(
                f"{n:>9,}  {method + ' -> ' + plan.method:<17}  {seconds:>8.2f}   "
                f"{plan.net_gain:>14,.2f}  "
                f"{plan.upper_bound:>14,.2f}  {plan.gap / plan.net_gain:>9.2e}"
            )


def single_offer(n: int) -> None:
    ids, churn, value = customers(n, seed=1)
    budget = 0.3 * n * 8.0
    greedy = retention_campaign(churn, 0.3, value, np.where(churn > 0.5, 8.0, 12.0))
    cost = np.where(churn > 0.5, 8.0, 12.0)[greedy.targets]
    kept = np.cumsum(cost) <= budget
    greedy_net = float(greedy.expected_gain[greedy.targets][kept].sum())
    # the same offer with a per-customer contact cost is two offers of one channel here
    two = [
        Offer(
            name="dear", channel="phone", contact_cost=12.0, save_rate=0.3, eligible=churn <= 0.5
        ),
        Offer(name="cheap", channel="phone", contact_cost=8.0, save_rate=0.3, eligible=churn > 0.5),
    ]
    seconds, plan = median_time(lambda: plan_campaign(ids, churn, value, two, budget=budget))
    print(
        f"\none offer, budget {budget:,.0f} on {n:,} customers: ranking cut at the budget "
        f"{greedy_net:,.2f}; plan_campaign {plan.net_gain:,.2f} ({plan.method}, "
        f"{seconds:.2f} s, certified gap {plan.gap:,.2f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="10^4 and 10^5 only, one run each")
    args = parser.parse_args()
    sizes = [10_000, 100_000] if args.quick else [10_000, 100_000, 1_000_000]
    allocation(sizes, repeat=1 if args.quick else 3)
    single_offer(100_000)


if __name__ == "__main__":
    main()
