"""Retrieval-augmented generation stages: embed the query, search, rerank, move the context.

The encoder forward passes (query embedding, cross-encoder reranking) reuse the transformer
operator inventory and the kernel model, so a CPU and a GPU are priced by the same roofline with
their own figures: an E5-base embedding is cheap anywhere, a 7B embedder is bandwidth- and
compute-heavy enough that a CPU loses clearly.

IVF-PQ search of ``queries`` queries:

* coarse quantiser: distances to ``C`` centroids of dimension ``d`` (``2 C d`` FLOPs per query,
  the centroid table of ``C d`` fp32 values read once per batch of queries);
* per probed list, a distance table of ``m`` sub-quantisers x 256 codes over ``d/m`` dims
  (``2 * 256 * d`` FLOPs);
* scanning ``probes x points_per_probe`` codes of ``m`` bytes (one table lookup and add per
  byte, plus the ids of the candidates), which is what makes it memory-bound on most devices.

Search runs in fp32 on the device's vector units: the peak used is the device's ``fp32`` figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hermes_dsl.ir.hardware import DeviceSpec, LinkSpec
from hermes_dsl.ir.model import ModelSpec
from hermes_dsl.perf.collectives import transfer_time
from hermes_dsl.perf.kernels import KernelModel
from hermes_dsl.perf.transformer import TransformerPlan

PQ_CODEBOOK = 256  # codes per sub-quantiser (8-bit PQ)
ID_BYTES = 8  # bytes per stored vector id read during the scan


def encoder_time(
    device: DeviceSpec, model: ModelSpec, sequences: int, seq_len: int, tp: int = 1
) -> float:
    """Seconds of a bidirectional encoder forward pass over ``sequences`` of ``seq_len`` tokens.

    Every layer runs the same operators as a decoder prefill, with full (not causal) attention:
    ``seq_len^2`` pairs per sequence; a pooled output replaces the LM head.
    """
    if sequences <= 0 or seq_len <= 0:
        return 0.0
    plan = TransformerPlan(model, tp)
    km = KernelModel(device, model.dtype)
    t = sequences * seq_len
    wb, ab = plan.wb, plan.ab
    layer = km.elementwise(t * plan.norm_bytes, "norm") * 2
    for _, k, n in plan.attn_gemms + plan.mlp_gemms:
        layer += km.gemm(t, k, n, wb, ab)
    layer += km.elementwise(t * plan.ffn_tp * plan.act_bytes_per_width, "act")
    layer += 2 * km.elementwise(t * plan.add_bytes, "add")
    pairs = float(sequences) * seq_len * seq_len
    attn = plan.attention_prefill_count(t, pairs)
    layer += km.roofline(attn.flops, attn.bytes)
    emb = km.elementwise(t * plan.emb_bytes, "emb")
    return model.layers * layer + emb


def embed_query_time(
    device: DeviceSpec, model: ModelSpec, queries: int = 1, query_tokens: int = 32
) -> float:
    """Embedding ``queries`` queries of ``query_tokens`` tokens with an encoder ``model``."""
    return encoder_time(device, model, queries, query_tokens)


def rerank_time(
    device: DeviceSpec,
    model: ModelSpec,
    docs: int,
    doc_tokens: int,
    query_tokens: int = 32,
) -> float:
    """Cross-encoder reranking: one forward pass per (query, document) pair."""
    return encoder_time(device, model, docs, doc_tokens + query_tokens)


@dataclass(frozen=True, slots=True)
class SearchCost:
    """An IVF-PQ search: seconds, the work behind it, and which roof bounds it."""

    seconds: float
    flops: float
    bytes: float
    bound: str  # "compute" or "memory"


def ivfpq_search(
    device: DeviceSpec,
    centroids: int,
    dim: int,
    probes: int,
    points_per_probe: int,
    code_bytes: int,
    queries: int = 1,
) -> SearchCost:
    """Seconds to search ``queries`` queries in an IVF-PQ index (see the module docstring)."""
    if queries <= 0:
        return SearchCost(0.0, 0.0, 0.0, "memory")
    coarse_flops = 2.0 * centroids * dim * queries
    coarse_bytes = 4.0 * centroids * dim  # fp32 centroids, read once for the batch
    table_flops = 2.0 * PQ_CODEBOOK * dim * probes * queries
    table_bytes = 4.0 * PQ_CODEBOOK * dim  # the codebooks
    scanned = float(probes) * points_per_probe * queries
    scan_flops = 2.0 * scanned * code_bytes  # one lookup + one add per sub-quantiser
    scan_bytes = scanned * (code_bytes + ID_BYTES)
    flops = coarse_flops + table_flops + scan_flops
    nbytes = coarse_bytes + table_bytes + scan_bytes
    peak = device.peak_flops("fp32")
    tc = flops / (peak * device.compute_eff)
    tm = nbytes / (device.mem_bandwidth * device.memory_eff)
    bound = "compute" if tc > tm else "memory"
    return SearchCost(max(tc, tm), flops, nbytes, bound)


def context_bytes(docs: int, doc_tokens: int, bytes_per_token: float) -> float:
    """Bytes of retrieved context: ``docs x doc_tokens x bytes_per_token``.

    ``bytes_per_token`` is about 4 for text (UTF-8, ~4 characters per token), or
    ``hidden x activation bytes`` when embeddings are shipped instead.
    """
    return float(docs) * doc_tokens * bytes_per_token


def context_transfer_time(
    docs: int,
    doc_tokens: int,
    bytes_per_token: float,
    links: LinkSpec | Sequence[LinkSpec],
) -> float:
    """Seconds to move the retrieved context over a link or a path of links."""
    return transfer_time(context_bytes(docs, doc_tokens, bytes_per_token), links)
