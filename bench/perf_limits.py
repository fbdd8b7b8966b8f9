"""How far any analytical GEMM model fitted on one GPU can get on another: four reference points.

Run ``python bench/perf_limits.py``.  ``bench/perf_accuracy.py`` measures the kernel model; this
script measures what bounds it, on the same Vidur GEMM timings (qkv/o/up/down projections):

1. **neighbours**: each measurement predicted from the two measured token counts on either side
   (same GPU, same shape).  How smooth the timings are in the token count: what a dense table
   of that very GPU would give.
2. **best tile (oracle)**: for each measurement, the tile shape of the model whose time is
   closest to it.  A model that always knew which kernel the library picks would do this well;
   the model itself takes the fastest tile instead.
3. **model**: the kernel model as shipped (fitted on the A100).
4. **A100 measured -> A40**: the A40 time predicted from the A100's *measured* time for the very
   same GEMM, scaled by the model's A40/A100 ratio.  If the A100's kernel choices carried over to
   the A40, this would beat the model; it does not, because the kernel each GPU runs at a given
   token count is that GPU's library's own choice.  The same test with tiles: the A40 timed
   with, for each GEMM, the tile shape that matched the A100's measurement best.

``python bench/perf_fit.py --gpu a40`` adds the fifth point: the model's form fitted on the A40
itself.
"""

from __future__ import annotations

import sys
from collections import defaultdict

import numpy as np
from perf_common import DEVICES, GEMM_OPS, VIDUR, vidur_dataset

from hermes_dsl.perf.kernels import KernelModel

Shape = tuple[float, float]  # (k, n) of one linear layer
Table = dict[Shape, tuple[np.ndarray, np.ndarray]]  # shape -> (token counts, measured seconds)


def gemm_table(gpu: str) -> Table:
    """(k, n) -> (token counts, measured seconds), every GEMM record of the GPU."""
    rows: dict[Shape, tuple[list[float], list[float]]] = defaultdict(lambda: ([], []))
    data = vidur_dataset(gpu)
    for op in GEMM_OPS:
        for cost, tokens, sec in data[op]:
            plan = cost.plan
            k, n = {name: (k, n) for name, k, n in plan.attn_gemms + plan.mlp_gemms}[op]
            rows[(k, n)][0].append(tokens)
            rows[(k, n)][1].append(sec)
    return {key: (np.array(m), np.array(y)) for key, (m, y) in rows.items()}


def stats(err: np.ndarray) -> str:
    a = np.abs(err)
    return f"median {np.median(a) * 100:5.1f}%  P90 {np.percentile(a, 90) * 100:5.1f}%  n={a.size}"


def neighbour_errors(table: Table) -> np.ndarray:
    out = []
    for m, y in table.values():
        ms = np.unique(m)
        med = np.array([np.median(y[m == v]) for v in ms])
        for i in range(1, len(ms) - 1):
            guess = np.interp(ms[i], (ms[i - 1], ms[i + 1]), (med[i - 1], med[i + 1]))
            out.append(guess / y[m == ms[i]] - 1.0)
    return np.concatenate(out)


def model_errors(km: KernelModel, table: Table) -> np.ndarray:
    return np.concatenate([km.gemm_np(m, k, n, 2, 2) / y - 1 for (k, n), (m, y) in table.items()])


def tile_errors(km: KernelModel, table: Table) -> np.ndarray:
    """Errors of the model restricted to each tile shape in turn: (tiles, measurements)."""
    tiles = km.tiles
    per_tile = []
    try:
        for tile in tiles:
            km.tiles = (tile,)
            per_tile.append(model_errors(km, table))
    finally:
        km.tiles = tiles
    return np.array(per_tile)


def oracle_errors(km: KernelModel, table: Table) -> np.ndarray:
    """Per measurement, the error of the single tile shape closest to it."""
    err = tile_errors(km, table)
    pick = np.argmin(np.abs(err), axis=0)
    return err[pick, np.arange(err.shape[1])]


def borrowed_tile_errors(
    src: Table, dst: Table, km_src: KernelModel, km_dst: KernelModel
) -> np.ndarray:
    """The destination GPU timed with, per GEMM, the tile that matched the source GPU best."""
    src_err = tile_errors(km_src, src)
    best: dict[tuple[float, float, float], int] = {}
    col = 0
    for (k, n), (m, _) in src.items():
        for j, v in enumerate(m):
            best.setdefault((k, n, v), int(np.argmin(np.abs(src_err[:, col + j]))))
        col += m.size
    dst_err = tile_errors(km_dst, dst)
    out = []
    col = 0
    for (k, n), (m, _) in dst.items():
        for j, v in enumerate(m):
            tile = best.get((k, n, v))
            if tile is not None:
                out.append(dst_err[tile, col + j])
        col += m.size
    return np.array(out)


def transfer_errors(src: Table, dst: Table, km_src: KernelModel, km_dst: KernelModel) -> np.ndarray:
    out = []
    for (k, n), (m, y) in dst.items():
        if (k, n) not in src:
            continue
        sm, sy = src[(k, n)]
        measured = {v: np.median(sy[sm == v]) for v in np.unique(sm)}
        keep = np.array([v in measured for v in m])
        if not keep.any():
            continue
        mk = m[keep]
        base = np.array([measured[v] for v in mk])
        ratio = km_dst.gemm_np(mk, k, n, 2, 2) / km_src.gemm_np(mk, k, n, 2, 2)
        out.append(base * ratio / y[keep] - 1.0)
    return np.concatenate(out)


def main() -> int:
    if not VIDUR.exists():
        print(f"data folder missing: {VIDUR}")
        return 1
    tables = {g: gemm_table(g) for g in DEVICES}
    models = {g: KernelModel(dev, "bf16") for g, dev in DEVICES.items()}
    print("GEMM timings (Vidur profiles): |predicted/measured - 1|")
    for g in DEVICES:
        print(f"  {g:<5} neighbours            {stats(neighbour_errors(tables[g]))}")
        print(f"  {g:<5} best tile (oracle)    {stats(oracle_errors(models[g], tables[g]))}")
        print(f"  {g:<5} model                 {stats(model_errors(models[g], tables[g]))}")
    err = transfer_errors(tables["a100"], tables["a40"], models["a100"], models["a40"])
    print(f"  a40   A100 measured -> A40    {stats(err)}")
    err = borrowed_tile_errors(tables["a100"], tables["a40"], models["a100"], models["a40"])
    print(f"  a40   A100's best tile        {stats(err)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
