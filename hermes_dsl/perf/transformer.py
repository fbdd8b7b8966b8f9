"""What one transformer iteration does, operator by operator: shapes, FLOPs and bytes per device.

The plan is built once per (model, tensor-parallel degree) and holds every per-model constant, so
the per-iteration code only multiplies by token counts.  Everything is *per device* of a tensor-
parallel group: column-parallel projections (QKV, MLP up) split their output features by ``tp``,
row-parallel ones (output projection, MLP down) split their input features, attention splits
heads; KV heads are replicated when there are fewer of them than devices (GQA/MQA at high tp).

Operators of one layer (names used in breakdowns):

==================  =======================================================================
``input_norm``      RMSNorm of the layer input, reads and writes ``T x hidden``
``qkv_proj``        GEMM ``T x hidden -> T x (q + 2 kv) head_dim`` (MLA: q and the latent)
``kv_up``           MLA only: latent ``-> K, V`` of the new tokens
``rope``            rotary embedding of Q and K, in place
``attn_prefill``    causal attention of the prefill chunks (FlashAttention-style, one pass)
``attn_decode``     one query per decoding request over its KV cache (paged attention)
``o_proj``          GEMM ``T x heads head_dim -> T x hidden``
``post_norm``       RMSNorm before the MLP
``mlp_up``          GEMM to ``ffn`` (gate and up fused when gated: ``2 ffn`` columns)
``mlp_act``         SiLU-and-multiply (gated) or GELU
``mlp_down``        GEMM ``T x ffn -> T x hidden``
``router``          MoE gate, ``T x hidden -> T x experts``
``experts_up/down`` the routed experts' GEMMs, over the experts a batch touches
``shared_up/down``  the shared experts (every token)
``residual_add``    the two residual additions
``tp_allreduce``    two all-reduces of ``T x hidden`` activations when ``tp > 1``
==================  =======================================================================

Once per iteration: ``embedding`` (a gather of ``T`` rows), ``final_norm`` and ``lm_head`` (a
GEMM over the vocabulary for the last token of each sequence only: prefill chunks and decodes).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from hermes_dsl.ir.model import DTYPE_BYTES, ModelSpec

# Query rows per FlashAttention block: the prefix of a chunk's KV is re-read once per block.
FLASH_BLOCK_Q = 128


def activation_bytes(model: ModelSpec) -> float:
    """Bytes per activation value: 16-bit unless the model computes in fp32.

    Weight-only (int4, fp8) and W8A8 schemes still keep activations between kernels in 16 bits.
    """
    return 4.0 if DTYPE_BYTES.get(model.dtype, 2.0) >= 4.0 else 2.0


def experts_touched(experts: int, top_k: int, tokens: float) -> float:
    """Expected distinct experts hit by ``tokens`` tokens routing to ``top_k`` of ``experts``.

    Uniform routing: each expert is missed by one token with probability ``1 - k/E``, so the
    expected number touched is ``E * (1 - (1 - k/E)^T)``.  This, not ``T * k``, sets how many
    experts' weights an iteration must read.
    """
    if experts <= 0 or tokens <= 0:
        return 0.0
    k = min(top_k, experts)
    return experts * (1.0 - (1.0 - k / experts) ** tokens)


@dataclass(frozen=True, slots=True)
class OpCount:
    """FLOPs and bytes of one operator (for one layer, on one device)."""

    flops: float
    bytes: float


class TransformerPlan:
    """Per-device shapes of ``model`` split ``tp`` ways; built once, read on every iteration."""

    def __init__(self, model: ModelSpec, tp: int = 1) -> None:
        if tp < 1:
            raise ValueError("tensor parallelism must be at least 1")
        self.model = model
        self.tp = tp
        h = model.hidden
        hd = model.head_dim
        self.hidden = h
        self.hq = model.heads / tp
        self.hkv = math.ceil(model.kv_heads / tp) if model.kv_heads else 0
        self.wb = model.weight_bytes_per_param
        self.kvb = model.kv_bytes_per_value
        self.ab = activation_bytes(model)
        self.mla = model.kv_latent > 0
        q_dim = self.hq * hd
        self.q_dim = q_dim
        if self.mla:
            # q projection (sharded) plus the latent down-projection (replicated on every device).
            self.qkv_n = q_dim + model.kv_latent
            self.kv_layer_bytes = model.kv_latent * self.kvb
            self.attn_dim = model.kv_latent  # absorbed attention works in the latent space
            self.rope_values = q_dim + model.kv_latent
        else:
            self.qkv_n = q_dim + 2 * self.hkv * hd
            self.kv_layer_bytes = 2 * self.hkv * hd * self.kvb
            self.attn_dim = hd
            self.rope_values = (self.hq + self.hkv) * hd
        gate = 2 if model.gated_mlp else 1
        self.gate = gate
        self.ffn_tp = model.ffn / tp
        self.moe_ffn_tp = (model.moe_ffn or model.ffn) / tp
        self.dense_layers = (
            model.layers if not model.is_moe else min(model.dense_layers, model.layers)
        )
        self.moe_layers = model.layers - self.dense_layers
        self.vocab_tp = model.vocab / tp
        # GEMMs as (name, k, n): per token, m = tokens.
        self.attn_gemms: tuple[tuple[str, float, float], ...] = (
            ("qkv_proj", float(h), float(self.qkv_n)),
            *((("kv_up", float(model.kv_latent), float(2 * q_dim)),) if self.mla else ()),
            ("o_proj", float(q_dim), float(h)),
        )
        self.mlp_gemms: tuple[tuple[str, float, float], ...] = (
            ("mlp_up", float(h), float(gate * self.ffn_tp)),
            ("mlp_down", float(self.ffn_tp), float(h)),
        )
        # Elementwise ops as (name, kind, bytes per token); act depends on the MLP width.
        ab = self.ab
        self.norm_bytes = 2.0 * h * ab
        self.add_bytes = 3.0 * h * ab
        self.rope_bytes = 2.0 * self.rope_values * ab
        self.act_bytes_per_width = (gate + 1) * ab
        self.emb_bytes = 2.0 * h * ab
        self.allreduce_bytes = h * ab

    # ---- counting ----------------------------------------------------------------------------
    def gemm_count(self, m: float, k: float, n: float) -> OpCount:
        """``2 m k n`` FLOPs; weights ``k n`` at the weight type, activations in and out."""
        if m <= 0:
            return OpCount(0.0, 0.0)
        return OpCount(2.0 * m * k * n, k * n * self.wb + m * (k + n) * self.ab)

    def attention_prefill_count(self, tokens: float, pairs: float) -> OpCount:
        """Causal attention over ``pairs`` (query, key) pairs of ``tokens`` new tokens.

        FLOPs: ``QK^T`` and ``PV`` are ``2 * head_dim`` each per pair and head.  Bytes: Q, K, V
        and the output of the new tokens, the new K/V written to the cache, and the cached
        prefix re-read once per block of ``FLASH_BLOCK_Q`` query rows.
        """
        if tokens <= 0:
            return OpCount(0.0, 0.0)
        flops = 4.0 * self.hq * self.attn_dim * pairs
        io = tokens * (self.qkv_n + self.q_dim) * self.ab + tokens * self.kv_layer_bytes
        reread = max(0.0, pairs / FLASH_BLOCK_Q - tokens) * self.kv_layer_bytes
        return OpCount(flops, io + reread)

    def attention_decode_count(self, seqs: float, context: float) -> OpCount:
        """Decode attention: every request reads its whole KV cache once (``context`` tokens)."""
        if seqs <= 0:
            return OpCount(0.0, 0.0)
        flops = 4.0 * self.hq * self.attn_dim * context
        io = context * self.kv_layer_bytes + seqs * (self.qkv_n + self.q_dim) * self.ab
        return OpCount(flops, io + seqs * self.kv_layer_bytes)

    def moe_shapes(self, tokens: float) -> tuple[float, float]:
        """(experts touched, rows per touched expert) for a batch of ``tokens``."""
        m = self.model
        touched = experts_touched(m.experts, m.top_k, tokens)
        if touched <= 0:
            return 0.0, 0.0
        return touched, tokens * min(m.top_k, m.experts) / touched

    def layer_counts(
        self,
        prefill_tokens: int,
        prefill_attn: float,
        prefill_seqs: int,
        decode_seqs: int,
        decode_context: int,
        moe: bool = False,
    ) -> dict[str, OpCount]:
        """FLOPs and bytes of each operator of one layer (dense, or MoE when ``moe``)."""
        t = prefill_tokens + decode_seqs
        out: dict[str, OpCount] = {}
        out["input_norm"] = OpCount(4.0 * t * self.hidden, t * self.norm_bytes)
        for name, k, n in self.attn_gemms:
            out[name] = self.gemm_count(t, k, n)
        out["rope"] = OpCount(3.0 * t * self.rope_values, t * self.rope_bytes)
        out["attn_prefill"] = self.attention_prefill_count(prefill_tokens, prefill_attn)
        out["attn_decode"] = self.attention_decode_count(decode_seqs, decode_context)
        out["post_norm"] = OpCount(4.0 * t * self.hidden, t * self.norm_bytes)
        if not moe:
            for name, k, n in self.mlp_gemms:
                out[name] = self.gemm_count(t, k, n)
            out["mlp_act"] = OpCount(
                4.0 * t * self.ffn_tp, t * self.ffn_tp * self.act_bytes_per_width
            )
        else:
            m = self.model
            h = self.hidden
            out["router"] = self.gemm_count(t, h, m.experts)
            touched, rows = self.moe_shapes(t)
            up = self.gemm_count(rows, h, self.gate * self.moe_ffn_tp)
            down = self.gemm_count(rows, self.moe_ffn_tp, h)
            out["experts_up"] = OpCount(up.flops * touched, up.bytes * touched)
            out["experts_down"] = OpCount(down.flops * touched, down.bytes * touched)
            routed = t * min(m.top_k, m.experts)
            width = self.moe_ffn_tp
            if m.shared_experts:
                sw = m.shared_experts * width
                out["shared_up"] = self.gemm_count(t, h, self.gate * sw)
                out["shared_down"] = self.gemm_count(t, sw, h)
                routed_w = routed * width + t * sw
            else:
                routed_w = routed * width
            out["mlp_act"] = OpCount(4.0 * routed_w, routed_w * self.act_bytes_per_width)
        out["residual_add"] = OpCount(2.0 * t * self.hidden, 2.0 * t * self.add_bytes)
        return out

    def iteration_counts(
        self, prefill_seqs: int, decode_seqs: int, tokens: int
    ) -> dict[str, OpCount]:
        """Operators run once per iteration: embedding, final norm, LM head."""
        s = prefill_seqs + decode_seqs
        return {
            "embedding": OpCount(0.0, tokens * self.emb_bytes),
            "final_norm": OpCount(4.0 * tokens * self.hidden, tokens * self.norm_bytes),
            "lm_head": self.gemm_count(s, self.hidden, self.vocab_tp),
        }
