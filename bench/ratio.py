#!/usr/bin/env python3
# The ratio of two tools' medians over alternating runs, with a 95 %
# bootstrap confidence interval, for the bench scripts (not a test).
#
#   bench/ratio.py NETRIG_FILE PEER_FILE higher|lower
#
# Each file holds one number per run. Prints
#   "RATIO [LOW, HIGH] VERDICT"
# where the interval comes from 10 000 resamples of each tool's runs
# (fixed seed, so the same runs always print the same interval) and the
# verdict says whether the runs tell the tools apart: "netrig better",
# "netrig worse" (the interval excludes 1.0; 'better' follows the measure's
# direction), or "no difference the runs can show".
import random
import statistics
import sys


def load(path):
    with open(path) as f:
        return [float(x) for x in f.read().split()]


def main():
    if len(sys.argv) != 4 or sys.argv[3] not in ("higher", "lower"):
        sys.exit("usage: ratio.py NETRIG_FILE PEER_FILE higher|lower")
    a, b = load(sys.argv[1]), load(sys.argv[2])
    if not a or not b or statistics.median(b) == 0:
        print("nan [nan, nan] no runs")
        return
    ratio = statistics.median(a) / statistics.median(b)
    rng = random.Random(1)
    boot = []
    for _ in range(10000):
        mb = statistics.median(rng.choices(b, k=len(b)))
        if mb:
            boot.append(statistics.median(rng.choices(a, k=len(a))) / mb)
    boot.sort()
    lo, hi = boot[int(0.025 * len(boot))], boot[int(0.975 * len(boot)) - 1]
    higher_better = sys.argv[3] == "higher"
    if lo > 1.0:
        verdict = "netrig better" if higher_better else "netrig worse"
    elif hi < 1.0:
        verdict = "netrig worse" if higher_better else "netrig better"
    else:
        verdict = "no difference the runs can show"
    print("%.3f [%.3f, %.3f] %s" % (ratio, lo, hi, verdict))


main()
