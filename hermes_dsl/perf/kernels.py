"""Time of single GPU/CPU kernels: GEMMs with tile and wave quantisation, and memory-bound ops.

A plain roofline (``max(flops / peak, bytes / bandwidth)``) misses three things that decide the
time of the linear layers of a transformer at serving batch sizes:

* **launch overhead**: every kernel costs a few microseconds however small it is;
* **tile and wave quantisation**: a GEMM is cut into output tiles of ``tm x tn``; tiles are run
  in *waves* of one tile per SM, so a GEMM needing 109 tiles on a 108-SM A100 takes a second
  wave; a half-empty tile costs as much as a full one.  A partly filled last wave costs a fixed
  part of a full wave plus the rest in proportion to how full it is (fitted: 0.15 + 0.85 x
  fill), since its few tiles have DRAM and L2 to themselves;
* **the ridge**: shapes close to the roofline ridge are neither compute- nor bandwidth-bound,
  the two overlap imperfectly, so their time is a soft maximum ``(tc^p + tm^p)^(1/p)``.

The model takes the best of a small set of tile shapes (what cuBLAS's heuristics try to pick)
with split-K for GEMMs that have fewer tiles than SMs.  Each K step of a ``tm x tn`` tile does
``2 tm tn`` FLOPs at the per-SM tensor peak (times an issue efficiency) and loads ``tm + tn``
operand values at a per-SM operand feed rate (bytes/s from L2 and shared memory); the two add, so
a tile runs at ``eff x per-SM peak / (1 + per-SM peak x operand bytes / feed x (1/tm + 1/tn))``.
The feed rate is per SM, not per device: a GPU whose SMs have a lower tensor peak (an A40 next
to an A100) loses less to loading operands and reaches more of its datasheet peak, as measured.
Each tile also pays a fixed prologue/epilogue worth ``k_prologue`` extra steps of the K loop.

Memory-bound ops (norms, activations, rotary embedding, residual adds, embedding gathers) are
bounded both by DRAM bandwidth and by a per-SM processing rate: on an A100 an RMSNorm runs at a
third of the HBM bandwidth because its kernel is limited by its own instruction stream, not by
memory.  Each op kind has its own per-SM byte rate.

All constants below were fitted on the A100-80GB kernel timings of the Vidur profiles only
(``bench/perf_fit.py`` does the fit, on median + P90 of the log of the time ratio) and
then checked, unchanged, against the A40 timings (``bench/perf_accuracy.py``).  CPUs use no tile
model: a CPU GEMM is a roofline over all cores with the device's own efficiencies.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from hermes_dsl.ir.hardware import DeviceSpec
from hermes_dsl.ir.model import DTYPE_BYTES

# --- GEMM constants: fitted on A100 Vidur profiles (bench/perf_fit.py), held out on A40 ---------
# Issue efficiency of the tensor cores at the per-SM peak, before operand loading.
GEMM_EFF = 0.8859
# Fraction of DRAM bandwidth a streaming GEMM (weights read once) reaches.
GEMM_MEM_EFF = 0.7827
# Operand feed rate of one SM (B/s), an effective rate of L2 + shared memory into the tensor
# cores: tile efficiency = GEMM_EFF / (1 + per-SM peak * operand bytes / feed * (1/tm + 1/tn)).
GEMM_FEED_PER_SM = 402.0e9
# Exponent of the soft maximum that joins compute and memory time near the ridge.
GEMM_OVERLAP_EXP = 2.673
# Per-tile prologue/epilogue, in equivalent K-loop elements.
GEMM_K_PROLOGUE = 63.36
# Launch and synchronisation overhead of one GEMM kernel (s), measured with CUDA events.
GEMM_LAUNCH = 4.262e-6
# Cost of a partly filled last wave: ``GEMM_TAIL + (1 - GEMM_TAIL) * filled fraction`` of a full
# wave (its tiles share DRAM and L2 with fewer others, so they finish sooner than a full wave's).
GEMM_TAIL = 0.149

# --- memory-bound op constants: fitted on A100 Vidur profiles, held out on A40 -----------------
# Launch overhead of one elementwise kernel (s).
EW_LAUNCH = 1.93e-6
# Per-SM byte rates (B/s per SM) of the op kinds, the bound that is not DRAM bandwidth.
EW_RATE_PER_UNIT: dict[str, float] = {
    "norm": 6.76e9,
    "add": 63.6e9,
    "act": 9.32e9,
    "rope": 8.29e9,
    "emb": 2.88e9,
}
# Fraction of DRAM bandwidth a simple streaming kernel reaches.
EW_MEM_EFF = 0.88

# Candidate output tiles (rows of tokens x columns of output features); the CUTLASS/cuBLAS
# tensor-core shapes for 16-bit inputs on Ampere and later.
GEMM_TILES: tuple[tuple[int, int], ...] = (
    (256, 128),
    (128, 256),
    (128, 128),
    (256, 64),
    (64, 256),
    (128, 64),
    (64, 128),
    (64, 64),
    (32, 128),
    (128, 32),
    (64, 32),
    (32, 64),
)
# Split-K factors tried when a GEMM has fewer tiles than SMs.
GEMM_SPLITS: tuple[int, ...] = (1, 2, 3, 4, 6, 8)

# Overhead of one parallel op on a CPU (thread fork/join), s.
CPU_OP_OVERHEAD = 2.0e-6


@dataclass(frozen=True, slots=True)
class GemmCalibration:
    """The fitted constants, gathered so a caller can try other values (the fit does)."""

    eff: float = GEMM_EFF
    mem_eff: float = GEMM_MEM_EFF
    feed_per_sm: float = GEMM_FEED_PER_SM
    overlap_exp: float = GEMM_OVERLAP_EXP
    k_prologue: float = GEMM_K_PROLOGUE
    launch: float = GEMM_LAUNCH
    tail: float = GEMM_TAIL
    ew_launch: float = EW_LAUNCH
    ew_mem_eff: float = EW_MEM_EFF
    ew_rates: tuple[tuple[str, float], ...] = tuple(EW_RATE_PER_UNIT.items())


DEFAULT_CALIBRATION = GemmCalibration()


class KernelModel:
    """Kernel times on one device at one compute type; built once, called per operator.

    ``dtype`` is the type the GEMMs compute in (it picks the peak FLOP/s).  Plain floats and
    tuples only, so the scalar paths stay cheap; ``*_np`` methods take arrays of token counts.
    """

    __slots__ = (
        "bw",
        "cal",
        "device",
        "ew_bw",
        "ew_launch",
        "ew_rates",
        "is_cpu",
        "k0",
        "launch",
        "mem_eff",
        "overlap",
        "peak",
        "roof_ceff",
        "roof_meff",
        "sms",
        "tail",
        "tiles",
    )

    def __init__(
        self,
        device: DeviceSpec,
        dtype: str = "bf16",
        calibration: GemmCalibration | None = None,
    ) -> None:
        cal = calibration or DEFAULT_CALIBRATION
        self.cal = cal
        self.device = device
        self.peak = float(device.peak_flops(dtype))
        self.bw = float(device.mem_bandwidth)
        self.sms = max(1, int(device.compute_units))
        self.is_cpu = device.kind == "cpu"
        self.roof_ceff = float(device.compute_eff)
        self.roof_meff = float(device.memory_eff)
        if self.is_cpu:
            # No tensor-core tiles on a CPU: a roofline with the datasheet's own efficiencies.
            self.tiles: tuple[tuple[int, int, float], ...] = ()
            self.mem_eff = float(device.memory_eff)
            self.launch = CPU_OP_OVERHEAD
            self.ew_launch = CPU_OP_OVERHEAD
            self.ew_bw = self.bw * float(device.memory_eff)
            self.ew_rates: dict[str, float] = {}
        else:
            per_sm = self.peak / self.sms
            # FLOPs per operand byte one SM can do beyond what its feed rate supplies.
            penalty = per_sm * DTYPE_BYTES.get(dtype, 2.0) / cal.feed_per_sm
            self.tiles = tuple(
                (tm, tn, per_sm * cal.eff / (1.0 + penalty * (1.0 / tm + 1.0 / tn)))
                for tm, tn in GEMM_TILES
            )
            self.mem_eff = cal.mem_eff
            self.launch = cal.launch
            self.ew_launch = cal.ew_launch
            self.ew_bw = self.bw * cal.ew_mem_eff
            self.ew_rates = {k: v * self.sms for k, v in cal.ew_rates}
        self.k0 = cal.k_prologue
        self.overlap = cal.overlap_exp
        self.tail = cal.tail

    # ---- GEMM --------------------------------------------------------------------------------
    def gemm(self, m: float, k: float, n: float, wbytes: float, abytes: float) -> float:
        """Seconds for ``(m x k) @ (k x n)``, weights ``wbytes`` per value, activations ``abytes``.

        Zero when ``m`` is zero (no tokens, no kernel).
        """
        if m <= 0 or k <= 0 or n <= 0:
            return 0.0
        tmem = (k * n * wbytes + m * (k + n) * abytes) / (self.bw * self.mem_eff)
        if not self.tiles:
            tc = 2.0 * m * k * n / (self.peak * self.roof_ceff)
            return self.launch + (tc if tc > tmem else tmem)
        sms = self.sms
        p = self.overlap
        inv_p = 1.0 / p
        k0 = self.k0
        tmem_p = tmem**p
        split_bw = 4.0 * m * n / (self.bw * self.mem_eff)  # fp32 partials per split
        best = math.inf
        ceil = math.ceil
        tail = self.tail
        for tm, tn, rate in self.tiles:
            ntiles = ceil(m / tm) * ceil(n / tn)
            flop_tile = 2.0 * tm * tn / rate
            w = ntiles / sms
            waves = 1.0 if w <= 1.0 else tail * ceil(w) + (1.0 - tail) * w
            tc = waves * flop_tile * (k + k0)
            t = (tc**p + tmem_p) ** inv_p
            if t < best:
                best = t
            if ntiles < sms:
                for s in GEMM_SPLITS[1:]:
                    w = ntiles * s / sms
                    waves = 1.0 if w <= 1.0 else tail * ceil(w) + (1.0 - tail) * w
                    tc = waves * flop_tile * (ceil(k / s) + k0)
                    tx = tmem + split_bw * s
                    t = (tc**p + tx**p) ** inv_p
                    if t < best:
                        best = t
        return self.launch + best

    def gemm_np(
        self, m: np.ndarray, k: float, n: float, wbytes: float, abytes: float
    ) -> np.ndarray:
        """Vectorised :meth:`gemm` over an array of row counts ``m`` (same model, same numbers)."""
        m = np.asarray(m, dtype=float)
        tmem = (k * n * wbytes + m * (k + n) * abytes) / (self.bw * self.mem_eff)
        if not self.tiles:
            tc = 2.0 * m * k * n / (self.peak * self.roof_ceff)
            out = self.launch + np.maximum(tc, tmem)
            return np.where(m > 0, out, 0.0)
        sms = self.sms
        p = self.overlap
        split_bw = 4.0 * m * n / (self.bw * self.mem_eff)
        best = np.full(m.shape, np.inf)
        for tm, tn, rate in self.tiles:
            ntiles = np.ceil(m / tm) * math.ceil(n / tn)
            flop_tile = 2.0 * tm * tn / rate
            for s in GEMM_SPLITS:
                w = ntiles * s / sms
                waves = np.where(w <= 1.0, 1.0, self.tail * np.ceil(w) + (1.0 - self.tail) * w)
                tc = waves * flop_tile * (math.ceil(k / s) + self.k0)
                tx = tmem + (split_bw * s if s > 1 else 0.0)
                t = (tc**p + tx**p) ** (1.0 / p)
                if s > 1:
                    t = np.where(ntiles < sms, t, np.inf)
                best = np.minimum(best, t)
        return np.where(m > 0, self.launch + best, 0.0)

    # ---- memory-bound ops -------------------------------------------------------------------
    def elementwise(self, nbytes: float, kind: str) -> float:
        """Seconds for a memory-bound op of kind ``kind`` moving ``nbytes`` (0 bytes: no kernel)."""
        if nbytes <= 0:
            return 0.0
        t = nbytes / self.ew_bw
        rate = self.ew_rates.get(kind)
        if rate is not None:
            t2 = nbytes / rate
            if t2 > t:
                t = t2
        return self.ew_launch + t

    def elementwise_np(self, nbytes: np.ndarray, kind: str) -> np.ndarray:
        nbytes = np.asarray(nbytes, dtype=float)
        t = nbytes / self.ew_bw
        rate = self.ew_rates.get(kind)
        if rate is not None:
            t = np.maximum(t, nbytes / rate)
        return np.where(nbytes > 0, self.ew_launch + t, 0.0)

    # ---- anything else: a plain roofline with the device's own efficiencies ------------------
    def roofline(self, flops: float, nbytes: float, peak: float | None = None) -> float:
        """Seconds for a kernel of ``flops`` and ``nbytes`` at the datasheet efficiencies.

        Used for what the profiles do not cover (attention, search, CPU work); ``peak`` overrides
        the FLOP/s (e.g. fp32 vector work on a GPU).
        """
        if flops <= 0 and nbytes <= 0:
            return 0.0
        tc = flops / ((peak or self.peak) * self.roof_ceff)
        tm = nbytes / (self.bw * self.roof_meff)
        return self.launch + (tc if tc > tm else tm)


def roofline_time(
    flops: float, nbytes: float, peak: float, bandwidth: float, ceff: float, meff: float
) -> float:
    """The textbook roofline, ``max(flops / (peak * ceff), bytes / (bandwidth * meff))``."""
    return max(flops / (peak * ceff) if peak > 0 else 0.0, nbytes / (bandwidth * meff))
