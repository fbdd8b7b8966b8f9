"""Fit the kernel-model constants of hermes_dsl/perf/kernels.py on ONE GPU's Vidur profiles.

Run ``python bench/perf_fit.py`` (needs scipy, a bench-only dependency).  ``--gpu a40`` fits on
the A40 instead and checks on the A100: not how the constants are made, but it shows the best
the model's form can do on a GPU when fitted on that very GPU (see bench/perf_limits.py).

It fits the GEMM constants (issue efficiency, memory efficiency, per-SM operand feed rate,
overlap exponent, K prologue, launch, tail-wave cost) on the A100 timings of the four linear
operators, minimising median + P90 of ``|log(predicted / measured)|`` with Powell's method (the
model is piecewise constant in its tile counts, so gradient fits stall), then the per-SM byte
rates of the memory-bound ops by robust least squares, and prints them with the errors on the
A100 (fitted) and the A40 (held out).  The printed values are pasted into kernels.py.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace

import numpy as np
from perf_common import DEVICES, GEMM_OPS, OTHER_OPS, VIDUR, vidur_dataset

from hermes_dsl.perf.kernels import DEFAULT_CALIBRATION, KernelModel

FIT_GPU = "a100"  # the GPU the constants in kernels.py come from
GPUS = ("a100", "a40")
EW_KIND = {
    "mlp_act": "act",
    "input_norm": "norm",
    "post_norm": "norm",
    "add": "add",
    "rope": "rope",
    "embedding": "emb",
}


def gemm_groups(
    data: dict, gpu: str
) -> list[tuple[float, float, float, float, np.ndarray, np.ndarray]]:
    """Group GEMM samples by (k, n, wbytes, abytes): arrays of m and measured seconds."""
    groups: dict[tuple[float, float, float, float], tuple[list[float], list[float]]] = {}
    for op in GEMM_OPS:
        for cost, tokens, sec in data[op]:
            plan = cost.plan
            k, n = {name: (k, n) for name, k, n in plan.attn_gemms + plan.mlp_gemms}[op]
            g = groups.setdefault((k, n, plan.wb, plan.ab), ([], []))
            g[0].append(tokens)
            g[1].append(sec)
    return [(k, n, wb, ab, np.array(m), np.array(y)) for (k, n, wb, ab), (m, y) in groups.items()]


def gemm_residuals(params: np.ndarray, groups: list, gpu: str) -> np.ndarray:
    eff, mem_eff, feed, p, k0, launch, tail = params
    cal = replace(
        DEFAULT_CALIBRATION,
        eff=eff,
        mem_eff=mem_eff,
        feed_per_sm=feed * 1e9,
        overlap_exp=p,
        k_prologue=k0,
        launch=launch * 1e-6,
        tail=tail,
    )
    km = KernelModel(DEVICES[gpu], "bf16", cal)
    out = [np.log(km.gemm_np(m, k, n, wb, ab) / y) for k, n, wb, ab, m, y in groups]
    return np.concatenate(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gpu", choices=GPUS, default=FIT_GPU, help="GPU whose timings are fitted")
    fit_gpu = ap.parse_args(argv).gpu
    held_out = next(g for g in GPUS if g != fit_gpu)
    try:
        from scipy.optimize import least_squares, minimize
    except ImportError:
        print("scipy is needed for the fit (pip install scipy)")
        return 1
    if not VIDUR.exists():
        print(f"data folder missing: {VIDUR}")
        return 1
    data = {g: vidur_dataset(g) for g in (fit_gpu, held_out)}
    groups = {g: gemm_groups(data[g], g) for g in data}
    c = DEFAULT_CALIBRATION
    x0 = [c.eff, c.mem_eff, c.feed_per_sm / 1e9, c.overlap_exp, c.k_prologue]
    x0 += [c.launch * 1e6, c.tail]
    lo = np.array([0.3, 0.3, 10.0, 1.0, 0.0, 0.0, 0.0])
    hi = np.array([1.2, 1.2, 1e5, 20.0, 2000.0, 30.0, 1.0])

    def objective(x: np.ndarray) -> float:
        r = np.abs(gemm_residuals(np.clip(x, lo, hi), groups[fit_gpu], fit_gpu))
        return float(np.median(r) + np.percentile(r, 90))

    res = minimize(
        objective, x0, method="Powell", options={"maxfev": 1000, "xtol": 1e-3, "ftol": 1e-4}
    )

    best = np.clip(res.x, lo, hi)
    print(f"GEMM_EFF = {best[0]:.4g}")
    print(f"GEMM_MEM_EFF = {best[1]:.4g}")
    print(f"GEMM_FEED_PER_SM = {best[2]:.4g}e9")
    print(f"GEMM_OVERLAP_EXP = {best[3]:.4g}")
    print(f"GEMM_K_PROLOGUE = {best[4]:.4g}")
    print(f"GEMM_LAUNCH = {best[5]:.4g}e-6")
    print(f"GEMM_TAIL = {best[6]:.3g}")
    for g in (fit_gpu, held_out):
        r = np.abs(np.exp(gemm_residuals(best, groups[g], g)) - 1)
        print(
            f"  GEMM {g}: median {np.median(r) * 100:.1f}%  P90 {np.percentile(r, 90) * 100:.1f}%"
        )

    # Memory-bound ops: a shared launch overhead, one per-SM byte rate per kind.
    kinds = sorted(set(EW_KIND.values()))

    def ew_res(params: np.ndarray, gpu: str) -> np.ndarray:
        launch = params[0] * 1e-6
        rates = tuple((k, params[1 + i] * 1e9) for i, k in enumerate(kinds))
        cal = replace(DEFAULT_CALIBRATION, ew_launch=launch, ew_rates=rates)
        km = KernelModel(DEVICES[gpu], "bf16", cal)
        out = []
        for op in OTHER_OPS:
            for cost, tokens, sec in data[gpu][op]:
                plan = cost.plan
                nbytes = {
                    "mlp_act": tokens * plan.ffn_tp * plan.act_bytes_per_width,
                    "input_norm": tokens * plan.norm_bytes,
                    "post_norm": tokens * plan.norm_bytes,
                    "add": tokens * plan.add_bytes,
                    "rope": tokens * plan.rope_bytes,
                    "embedding": tokens * plan.emb_bytes,
                }[op]
                out.append(np.log(km.elementwise(nbytes, EW_KIND[op]) / sec))
        return np.array(out)

    rates0 = dict(c.ew_rates)
    e0 = [c.ew_launch * 1e6] + [rates0[k] / 1e9 for k in kinds]
    efit = least_squares(
        ew_res, e0, args=(fit_gpu,), bounds=(0, np.inf), loss="soft_l1", f_scale=0.05
    )
    print(f"EW_LAUNCH = {efit.x[0]:.3g}e-6")
    for i, k in enumerate(kinds):
        print(f'    "{k}": {efit.x[1 + i]:.3g}e9,')
    for g in (fit_gpu, held_out):
        r = np.abs(np.exp(ew_res(efit.x, g)) - 1)
        med, p90 = np.median(r) * 100, np.percentile(r, 90) * 100
        print(f"  memory-bound {g}: median {med:.1f}%  P90 {p90:.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
