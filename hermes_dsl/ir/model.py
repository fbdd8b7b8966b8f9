"""Model architectures in the IR: what the performance models need to count FLOPs and bytes."""

from __future__ import annotations

from dataclasses import dataclass

from hermes_dsl.source import NO_SPAN, Span

# Bytes per stored value of each numeric type a model's weights or KV cache may use.
DTYPE_BYTES: dict[str, float] = {
    "fp32": 4.0,
    "tf32": 4.0,
    "bf16": 2.0,
    "fp16": 2.0,
    "fp8": 1.0,
    "int8": 1.0,
    "fp6": 0.75,
    "fp4": 0.5,
    "int4": 0.5,
}

MODEL_KINDS = ("decoder", "encoder", "cross_encoder")


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """A transformer's shape.  Dense models have ``experts == 0``.

    MoE models replace the MLP of every layer after the first ``dense_layers`` with ``experts``
    experts of width ``moe_ffn`` of which ``top_k`` (plus ``shared_experts``) run per token.
    ``kv_latent > 0`` means multi-head latent attention: the cache keeps one compressed vector of
    that many values per token and layer instead of K and V per KV head.
    """

    name: str
    kind: str  # one of MODEL_KINDS
    layers: int
    hidden: int
    heads: int
    kv_heads: int
    head_dim: int
    ffn: int
    vocab: int
    experts: int = 0
    top_k: int = 0
    moe_ffn: int = 0
    shared_experts: int = 0
    dense_layers: int = 0
    kv_latent: int = 0
    gated_mlp: bool = True
    tied_embeddings: bool = False
    dtype: str = "bf16"
    kv_dtype: str = "bf16"
    max_context: int = 4096
    span: Span = NO_SPAN

    @property
    def is_moe(self) -> bool:
        return self.experts > 0

    @property
    def weight_bytes_per_param(self) -> float:
        return DTYPE_BYTES[self.dtype]

    @property
    def kv_bytes_per_value(self) -> float:
        return DTYPE_BYTES[self.kv_dtype]

    @property
    def kv_bytes_per_token(self) -> float:
        """K and V of every layer for one token: 2 x layers x kv_heads x head_dim x bytes."""
        if self.kind != "decoder":
            return 0.0
        if self.kv_latent:
            return self.layers * self.kv_latent * self.kv_bytes_per_value
        return 2 * self.layers * self.kv_heads * self.head_dim * self.kv_bytes_per_value

    def _mlp_params(self, width: int) -> int:
        return (3 if self.gated_mlp else 2) * self.hidden * width

    @property
    def attn_params_per_layer(self) -> int:
        q = self.hidden * self.heads * self.head_dim
        kv = 2 * self.hidden * self.kv_heads * self.head_dim
        o = self.heads * self.head_dim * self.hidden
        return q + kv + o

    @property
    def params(self) -> int:
        """Total parameters, counting every expert (what must be stored)."""
        return self._params(active=False)

    @property
    def active_params(self) -> int:
        """Parameters one token touches (top-k experts only)."""
        return self._params(active=True)

    def _params(self, active: bool) -> int:
        dense = self.layers if not self.is_moe else self.dense_layers
        moe = self.layers - dense
        per_expert = self._mlp_params(self.moe_ffn or self.ffn)
        n_exp = (self.top_k if active else self.experts) + self.shared_experts
        total = self.layers * (self.attn_params_per_layer + 2 * self.hidden)
        total += dense * self._mlp_params(self.ffn) + moe * n_exp * per_expert
        if self.is_moe:
            total += moe * self.hidden * self.experts  # router
        emb = self.vocab * self.hidden
        total += emb if self.tied_embeddings or self.kind != "decoder" else 2 * emb
        return total

    @property
    def weight_bytes(self) -> float:
        return self.params * self.weight_bytes_per_param
