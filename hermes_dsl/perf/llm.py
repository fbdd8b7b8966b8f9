"""Iteration time and energy of an LLM replica: the cost object the simulator calls.

``LLMCost`` implements :class:`hermes_dsl.sim.costs.IterationCost`.  It is called on every
simulated iteration, so:

* all per-model constants are computed in ``__init__`` (the :class:`TransformerPlan`, the
  :class:`KernelModel`, per-layer coefficients of the attention kernels);
* everything that depends only on the number of tokens in the batch (GEMMs, norms, all-reduces:
  the bulk of the work) is cached by token count, the LM head by sequence count;
* whole shapes are cached in a dict keyed by the five numbers;
* the uncached remainder (attention) is a few float multiplications, with no allocation.

Pipeline parallelism splits the layers into ``pp`` consecutive stages (the first stages take one
extra layer when they do not divide evenly); the first stage also embeds, the last also runs the
final norm and LM head.  A pipelined iteration is bounded by its slowest stage plus that stage's
transfer of activations to the next one (``T x hidden`` activations, point to point).
"""

from __future__ import annotations

import numpy as np

from hermes_dsl.ir.hardware import DeviceSpec, LinkSpec
from hermes_dsl.ir.model import ModelSpec
from hermes_dsl.perf.collectives import (
    COLLECTIVE_STARTUP,
    all_gather_time,
    all_reduce_time,
    p2p_time,
    scale_up_link,
)
from hermes_dsl.perf.energy import busy_power
from hermes_dsl.perf.kernels import GemmCalibration, KernelModel
from hermes_dsl.perf.transformer import FLASH_BLOCK_Q, TransformerPlan

# Entries kept in the per-shape cache before it is cleared (a simulation revisits few shapes
# exactly once decode contexts grow, so an unbounded dict would only eat memory).
SHAPE_CACHE_LIMIT = 500_000


def _split_layers(model: ModelSpec, pp: int) -> list[tuple[int, int]]:
    """(dense layers, MoE layers) per stage: even split, dense layers first in the model."""
    if pp < 1:
        raise ValueError("pipeline parallelism must be at least 1")
    if pp > model.layers:
        raise ValueError(f"cannot split {model.layers} layers into {pp} pipeline stages")
    base, extra = divmod(model.layers, pp)
    dense_left = model.layers if not model.is_moe else min(model.dense_layers, model.layers)
    stages = []
    for i in range(pp):
        n = base + (1 if i < extra else 0)
        d = min(n, dense_left)
        dense_left -= d
        stages.append((d, n - d))
    return stages


class LLMCost:
    """Analytical iteration cost of ``model`` on ``tp * pp`` devices of kind ``device``.

    ``link`` joins the devices of a tensor-parallel group (and neighbouring pipeline stages);
    without one, the device's own scale-up bandwidth (``device.interconnect``) is assumed.
    """

    def __init__(
        self,
        device: DeviceSpec,
        model: ModelSpec,
        tp: int = 1,
        pp: int = 1,
        link: LinkSpec | None = None,
        calibration: GemmCalibration | None = None,
    ) -> None:
        self.device = device
        self.model = model
        self.tp = tp
        self.pp = pp
        self.devices = tp * pp
        self.plan = TransformerPlan(model, tp)
        self.km = KernelModel(device, model.dtype, calibration)
        if link is None:
            bw = device.interconnect or device.mem_bandwidth / 10.0
            link = scale_up_link(bw)
        self.link = link
        self.stages = _split_layers(model, pp)
        plan = self.plan
        km = self.km
        # Attention coefficients (per layer, per device), kept as plain floats.
        self._inv_peak = 1.0 / (km.peak * km.roof_ceff)
        self._inv_bw = 1.0 / (km.bw * km.roof_meff)
        self._launch = km.launch
        self._attn_flops = 4.0 * plan.hq * plan.attn_dim
        self._attn_io = (plan.qkv_n + plan.q_dim) * plan.ab
        self._kvl = plan.kv_layer_bytes
        self._inv_block = 1.0 / FLASH_BLOCK_Q
        self._shape_cache: dict[tuple[int, float, int, int, int], float] = {}
        self._token_cache: dict[int, tuple[float, float, float, float]] = {}
        self._head_cache: dict[int, float] = {}

    # ---- parts that depend on token counts only ----------------------------------------------
    def _layer_token_times(self, t: int) -> dict[str, float]:
        """Per-operator seconds of one dense and one MoE layer for ``t`` tokens (no attention)."""
        plan = self.plan
        km = self.km
        wb, ab = plan.wb, plan.ab
        out: dict[str, float] = {}
        out["input_norm"] = km.elementwise(t * plan.norm_bytes, "norm")
        for name, k, n in plan.attn_gemms:
            out[name] = km.gemm(t, k, n, wb, ab)
        out["rope"] = km.elementwise(t * plan.rope_bytes, "rope")
        out["post_norm"] = km.elementwise(t * plan.norm_bytes, "norm")
        out["residual_add"] = 2.0 * km.elementwise(t * plan.add_bytes, "add")
        ar = all_reduce_time(t * plan.allreduce_bytes, self.tp, self.link)
        out["tp_allreduce"] = 2.0 * ar
        if plan.dense_layers:
            for name, k, n in plan.mlp_gemms:
                out[name] = km.gemm(t, k, n, wb, ab)
            out["mlp_act"] = km.elementwise(t * plan.ffn_tp * plan.act_bytes_per_width, "act")
        if plan.moe_layers:
            m = self.model
            h = plan.hidden
            out["router"] = km.gemm(t, h, m.experts, wb, ab)
            touched, rows = plan.moe_shapes(t)
            rows_i = float(int(rows + 0.999999))
            out["experts_up"] = touched * km.gemm(rows_i, h, plan.gate * plan.moe_ffn_tp, wb, ab)
            out["experts_down"] = touched * km.gemm(rows_i, plan.moe_ffn_tp, h, wb, ab)
            width = t * min(m.top_k, m.experts) * plan.moe_ffn_tp
            if m.shared_experts:
                sw = m.shared_experts * plan.moe_ffn_tp
                out["shared_up"] = km.gemm(t, h, plan.gate * sw, wb, ab)
                out["shared_down"] = km.gemm(t, sw, h, wb, ab)
                width += t * sw
            out["moe_act"] = km.elementwise(width * plan.act_bytes_per_width, "act")
        return out

    _COMMON = ("input_norm", "qkv_proj", "kv_up", "o_proj", "rope", "post_norm", "residual_add")
    _DENSE = ("mlp_up", "mlp_down", "mlp_act")
    _MOE = ("router", "experts_up", "experts_down", "shared_up", "shared_down", "moe_act")

    def _token_part(self, t: int) -> tuple[float, float, float, float]:
        """(dense layer s, MoE layer s, embedding s, final norm s) for ``t`` tokens, cached."""
        hit = self._token_cache.get(t)
        if hit is not None:
            return hit
        ops = self._layer_token_times(t)
        common = sum(ops.get(k, 0.0) for k in self._COMMON) + ops["tp_allreduce"]
        dense = common + sum(ops.get(k, 0.0) for k in self._DENSE)
        moe = common + sum(ops.get(k, 0.0) for k in self._MOE)
        plan = self.plan
        emb = self.km.elementwise(t * plan.emb_bytes, "emb") + all_reduce_time(
            t * plan.allreduce_bytes, self.tp, self.link
        )
        fnorm = self.km.elementwise(t * plan.norm_bytes, "norm")
        res = (dense, moe, emb, fnorm)
        self._token_cache[t] = res
        return res

    def _head(self, s: int) -> float:
        """LM head over ``s`` sequences (plus the gather of vocabulary shards), cached."""
        hit = self._head_cache.get(s)
        if hit is not None:
            return hit
        plan = self.plan
        t = self.km.gemm(s, plan.hidden, plan.vocab_tp, plan.wb, plan.ab)
        t += all_gather_time(s * self.model.vocab * plan.ab, self.tp, self.link)
        self._head_cache[s] = t
        return t

    def _attention(self, pt: int, pa: float, ds: int, dc: int) -> float:
        """Per-layer attention seconds: prefill and decode kernels, each a roofline."""
        t = 0.0
        if pt > 0:
            byt = pt * (self._attn_io + self._kvl)
            extra = pa * self._inv_block - pt
            if extra > 0:
                byt += extra * self._kvl
            tc = self._attn_flops * pa * self._inv_peak
            tm = byt * self._inv_bw
            t += self._launch + (tc if tc > tm else tm)
        if ds > 0:
            byt = dc * self._kvl + ds * (self._attn_io + self._kvl)
            tc = self._attn_flops * dc * self._inv_peak
            tm = byt * self._inv_bw
            t += self._launch + (tc if tc > tm else tm)
        return t

    # ---- the protocol ------------------------------------------------------------------------
    def iteration_time(
        self,
        prefill_tokens: int,
        prefill_attn: float,
        prefill_seqs: int,
        decode_seqs: int,
        decode_context: int,
    ) -> float:
        """Seconds for one iteration (see :class:`hermes_dsl.sim.costs.IterationCost`)."""
        key = (prefill_tokens, prefill_attn, prefill_seqs, decode_seqs, decode_context)
        hit = self._shape_cache.get(key)
        if hit is not None:
            return hit
        t = prefill_tokens + decode_seqs
        if t <= 0:
            return 0.0
        dense, moe, emb, fnorm = self._token_part(t)
        attn = self._attention(prefill_tokens, prefill_attn, decode_seqs, decode_context)
        head = self._head(prefill_seqs + decode_seqs) + fnorm
        if self.pp == 1:
            d, m = self.stages[0]
            total = d * (dense + attn) + m * (moe + attn) + emb + head
        else:
            xfer = p2p_time(t * self.plan.allreduce_bytes, self.link)
            last = self.pp - 1
            total = 0.0
            for i, (d, m) in enumerate(self.stages):
                st = d * (dense + attn) + m * (moe + attn)
                if i == 0:
                    st += emb
                if i == last:
                    st += head
                else:
                    st += xfer
                if st > total:
                    total = st
        if len(self._shape_cache) >= SHAPE_CACHE_LIMIT:
            self._shape_cache.clear()
        self._shape_cache[key] = total
        return total

    # ---- stages, breakdown, energy -----------------------------------------------------------
    def stage_times(
        self,
        prefill_tokens: int,
        prefill_attn: float,
        prefill_seqs: int,
        decode_seqs: int,
        decode_context: int,
    ) -> list[float]:
        """Seconds of each pipeline stage (compute only) for one micro-batch of this shape."""
        t = prefill_tokens + decode_seqs
        if t <= 0:
            return [0.0] * self.pp
        dense, moe, emb, fnorm = self._token_part(t)
        attn = self._attention(prefill_tokens, prefill_attn, decode_seqs, decode_context)
        head = self._head(prefill_seqs + decode_seqs) + fnorm
        out = []
        for i, (d, m) in enumerate(self.stages):
            st = d * (dense + attn) + m * (moe + attn)
            st += emb if i == 0 else 0.0
            st += head if i == self.pp - 1 else 0.0
            out.append(st)
        return out

    def pipeline_transfer_time(self, tokens: int) -> float:
        """Seconds to pass ``tokens`` tokens' activations from one stage to the next."""
        if self.pp == 1:
            return 0.0
        return p2p_time(tokens * self.plan.allreduce_bytes, self.link)

    def breakdown(
        self,
        prefill_tokens: int,
        prefill_attn: float,
        prefill_seqs: int,
        decode_seqs: int,
        decode_context: int,
    ) -> dict[str, float]:
        """Seconds per operator summed over every layer (all stages in sequence).

        For ``pp == 1`` the values add up to :meth:`iteration_time`.  ``pp_transfer`` holds the
        stage-to-stage transfers of one micro-batch.
        """
        t = prefill_tokens + decode_seqs
        out: dict[str, float] = {}
        if t <= 0:
            return out
        ops = self._layer_token_times(t)
        km = self.km
        plan = self.plan
        n_dense = sum(d for d, _ in self.stages)
        n_moe = sum(m for _, m in self.stages)
        for name, sec in ops.items():
            if name in self._DENSE:
                n = n_dense
            elif name in self._MOE:
                n = n_moe
            else:
                n = n_dense + n_moe
            out[name] = sec * n
        # The attention kernels, separated.
        pre = self._attention(prefill_tokens, prefill_attn, 0, 0)
        dec = self._attention(0, 0.0, decode_seqs, decode_context)
        out["attn_prefill"] = pre * self.model.layers
        out["attn_decode"] = dec * self.model.layers
        out["embedding"] = km.elementwise(t * plan.emb_bytes, "emb")
        out["tp_allreduce"] = out.get("tp_allreduce", 0.0) + all_reduce_time(
            t * plan.allreduce_bytes, self.tp, self.link
        )
        out["final_norm"] = km.elementwise(t * plan.norm_bytes, "norm")
        out["lm_head"] = self._head(prefill_seqs + decode_seqs)
        out["pp_transfer"] = (self.pp - 1) * self.pipeline_transfer_time(t)
        return out

    def iteration_counts(
        self,
        prefill_tokens: int,
        prefill_attn: float,
        prefill_seqs: int,
        decode_seqs: int,
        decode_context: int,
    ) -> tuple[float, float]:
        """(FLOPs, bytes) of one iteration on one device, averaged over the pipeline stages."""
        plan = self.plan
        n_dense = sum(d for d, _ in self.stages)
        n_moe = sum(m for _, m in self.stages)
        flops = 0.0
        nbytes = 0.0
        shape = (prefill_tokens, prefill_attn, prefill_seqs, decode_seqs, decode_context)
        for n, moe in ((n_dense, False), (n_moe, True)):
            if n:
                for c in plan.layer_counts(*shape, moe=moe).values():
                    flops += n * c.flops
                    nbytes += n * c.bytes
        for c in plan.iteration_counts(
            prefill_seqs, decode_seqs, prefill_tokens + decode_seqs
        ).values():
            flops += c.flops
            nbytes += c.bytes
        return flops / self.pp, nbytes / self.pp

    def utilisation(
        self,
        prefill_tokens: int,
        prefill_attn: float,
        prefill_seqs: int,
        decode_seqs: int,
        decode_context: int,
    ) -> float:
        """How hard the devices work during the iteration, 0..1: the larger of the FLOP and the
        bandwidth utilisation.  Decode (bandwidth-bound) draws less power than a big prefill."""
        shape = (prefill_tokens, prefill_attn, prefill_seqs, decode_seqs, decode_context)
        t = self.iteration_time(*shape)
        if t <= 0:
            return 0.0
        flops, nbytes = self.iteration_counts(*shape)
        u = max(flops / (self.km.peak * t), nbytes / (self.km.bw * t))
        return min(1.0, u)

    def iteration_energy(
        self,
        prefill_tokens: int,
        prefill_attn: float,
        prefill_seqs: int,
        decode_seqs: int,
        decode_context: int,
    ) -> float:
        """Joules drawn by all ``tp * pp`` devices during one iteration."""
        shape = (prefill_tokens, prefill_attn, prefill_seqs, decode_seqs, decode_context)
        t = self.iteration_time(*shape)
        power = busy_power(self.device, self.utilisation(*shape))
        return self.devices * power * t

    # ---- vectorised path, for tables and benches ---------------------------------------------
    def iteration_times(
        self,
        prefill_tokens: np.ndarray,
        prefill_attn: np.ndarray,
        prefill_seqs: np.ndarray,
        decode_seqs: np.ndarray,
        decode_context: np.ndarray,
    ) -> np.ndarray:
        """:meth:`iteration_time` over arrays of shapes (same model, numpy throughout)."""
        pt = np.asarray(prefill_tokens, dtype=float)
        pa = np.asarray(prefill_attn, dtype=float)
        ps = np.asarray(prefill_seqs, dtype=float)
        ds = np.asarray(decode_seqs, dtype=float)
        dc = np.asarray(decode_context, dtype=float)
        t = pt + ds
        plan = self.plan
        km = self.km
        wb, ab = plan.wb, plan.ab
        # Token-count terms are evaluated once per distinct count, then spread back.
        tu, inv = np.unique(t, return_inverse=True)
        ar_u = self._all_reduce_np(tu * plan.allreduce_bytes)
        common = km.elementwise_np(tu * plan.norm_bytes, "norm") * 2.0
        common += km.elementwise_np(tu * plan.rope_bytes, "rope")
        common += 2.0 * km.elementwise_np(tu * plan.add_bytes, "add")
        common += 2.0 * ar_u
        for _, k, n in plan.attn_gemms:
            common += km.gemm_np(tu, k, n, wb, ab)
        dense_u = common.copy()
        for _, k, n in plan.mlp_gemms:
            dense_u += km.gemm_np(tu, k, n, wb, ab)
        dense_u += km.elementwise_np(tu * plan.ffn_tp * plan.act_bytes_per_width, "act")
        if plan.moe_layers:
            moe_u = np.array([self._token_part(int(x))[1] for x in tu], dtype=float)
        else:
            moe_u = np.zeros_like(tu)
        inv = inv.reshape(t.shape)
        dense = dense_u[inv]
        moe = moe_u[inv]
        ar = ar_u[inv]
        # Attention.
        pre_b = (
            pt * (self._attn_io + self._kvl)
            + np.maximum(pa * self._inv_block - pt, 0.0) * self._kvl
        )
        pre = np.maximum(self._attn_flops * pa * self._inv_peak, pre_b * self._inv_bw)
        pre = np.where(pt > 0, self._launch + pre, 0.0)
        dec_b = dc * self._kvl + ds * (self._attn_io + self._kvl)
        dec = np.maximum(self._attn_flops * dc * self._inv_peak, dec_b * self._inv_bw)
        dec = np.where(ds > 0, self._launch + dec, 0.0)
        attn = pre + dec
        emb = km.elementwise_np(t * plan.emb_bytes, "emb") + ar
        s = ps + ds
        su, sinv = np.unique(s, return_inverse=True)
        head = km.gemm_np(su, plan.hidden, plan.vocab_tp, wb, ab)[sinv.reshape(s.shape)]
        if self.tp > 1:
            n = self.tp
            link = self.link
            gather = (
                (n - 1) * link.latency
                + (n - 1) / n * s * self.model.vocab * ab / (link.bandwidth * link.efficiency)
                + COLLECTIVE_STARTUP
            )
            head += np.where(s > 0, gather, 0.0)
        head += km.elementwise_np(t * plan.norm_bytes, "norm")
        xfer = np.where(
            t > 0,
            self.link.latency
            + t * plan.allreduce_bytes / (self.link.bandwidth * self.link.efficiency),
            0.0,
        )
        if self.pp > 1:
            xfer = np.where(t > 0, xfer + COLLECTIVE_STARTUP, 0.0)
        total = np.zeros_like(t)
        last = self.pp - 1
        for i, (d, m) in enumerate(self.stages):
            st = d * (dense + attn) + m * (moe + attn)
            if i == 0:
                st = st + emb
            st = st + (head if i == last else xfer)
            total = np.maximum(total, st)
        return np.where(t > 0, total, 0.0)

    def _all_reduce_np(self, nbytes: np.ndarray) -> np.ndarray:
        n = self.tp
        if n < 2:
            return np.zeros_like(nbytes)
        link = self.link
        steps = 2 * (n - 1)
        t = (
            steps * link.latency
            + steps / n * nbytes / (link.bandwidth * link.efficiency)
            + COLLECTIVE_STARTUP
        )
        return np.where(nbytes > 0, t, 0.0)
