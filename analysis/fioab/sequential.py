"""The stopping rule of run-matrix --until-resolved: more rounds while a
declared comparison is unresolved, with the false-positive rate kept at
alpha.

Looks: after the matrix's planned rounds n0, after n0 + ceil(n0/2) and
after 2 n0 (the fixed maximum). Alpha is spent alpha/2, alpha/4, alpha/4
over the three looks. By the union bound over looks, a comparison whose
arms do not differ gets a false "better"/"worse" at some look with
probability at most the sum, alpha (and likewise for a false "same"),
whatever the dependence between looks; each look's correction over the
family is the report's. A comparison keeps the verdict of the first look
that reached one; later rounds do not revisit it. The floors of the exact
signed-rank test (2/2^n) are below each look's share: 0.0156 at n = 7
against 0.025.

Pure functions; tests/analysis/test_sequential.py checks the rate by
simulation on kept instruction-count runs.
"""
import math

from .verdict import ALPHA, finish

# the metrics whose verdicts decide whether more rounds are needed
DECIDING_METRICS = ("cpu_ns_per_io", "sys_cpu_ns_per_io")


def looks(n0):
    """Rounds after which the comparisons are tested, and the alpha each gets."""
    n0 = max(1, int(n0))
    ns = sorted({n0, n0 + math.ceil(n0 / 2), 2 * n0})
    shares = [0.5, 0.25, 0.25][:len(ns)]
    # fewer distinct looks (tiny n0): the last one takes what is left
    shares[-1] = 1.0 - sum(shares[:-1])
    return list(zip(ns, shares))


def plan_doc(n0, alpha=ALPHA):
    """What meta.json records of the rule (the report replays it)."""
    return {"rule": "alpha spending over looks (union bound): alpha/2, alpha/4, alpha/4",
            "alpha": alpha,
            "looks": [{"rounds": n, "alpha": alpha * s} for n, s in looks(n0)]}


def sequential_finish(comps_at, doc, correction="bh", measure="time"):
    """Verdicts under the stopping rule. comps_at(rounds) returns fresh,
    unfinished comparisons on the first `rounds` rounds. Returns the
    comparisons that decided (or the last look's), each with `look`."""
    final = {}
    for look in doc["looks"]:
        comps = finish(comps_at(look["rounds"]), alpha=look["alpha"],
                       correction=correction, measure=measure)
        for c in comps:
            k = (c.key, c.metric)
            if k in final and final[k].verdict != "inconclusive":
                continue        # decided at an earlier look: final
            c.look = look["rounds"]
            if c.family:
                c.why += " [look at %d rounds, alpha %.3g]" % (look["rounds"], look["alpha"])
            final[k] = c
    return list(final.values())


def unresolved(comps, metrics=DECIDING_METRICS):
    """Declared comparisons of the deciding metrics still inconclusive."""
    return [c for c in comps if c.family and c.metric in metrics and
            c.verdict == "inconclusive"]
