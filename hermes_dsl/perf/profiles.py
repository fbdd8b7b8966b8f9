"""Measured kernel profiles: loading them, interpolating them, and a cost model built on them.

Two table formats are read.

*Vidur MLP profiles* (``compute/<gpu>/<org>/<model>/mlp.csv``): one row per (``num_tokens``,
``num_tensor_parallel_workers``), the model shape (``n_head``, ``n_kv_head``, ``n_embd``,
``n_expanded_embd``, ``vocab_size``, ``use_gated_mlp``) and, per operator of one layer,
``time_stats.<op>.{min,max,mean,median,std}`` in **milliseconds**.  Medians are used.

*Our own operator tables*: CSV with the header ``operator,tokens,batch,tp,seconds``; one row per
measured kernel of one layer (``seconds`` in seconds; ``batch`` is 1 where it does not apply).
Operator names are those of :data:`TABLE_OPERATORS`.  See ``docs/perf.md``.

Network profiles (``network/<setup>/{all_reduce,send_recv}.csv``): one row per message size in
bytes, ``num_workers``, ``devices_per_node``, and ``time_stats.<collective>.median`` in ms.

:class:`ProfiledCost` answers the simulator's ``iteration_time`` from a table, interpolating
linearly over tokens (and batch size where the table has several), and falls back to the
analytical :class:`~hermes_dsl.perf.llm.LLMCost` outside the measured range, recording a warning
instead of raising: a simulation should not die because one batch was larger than the profile.
"""

from __future__ import annotations

import bisect
import csv
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from hermes_dsl.ir.hardware import DeviceSpec, LinkSpec
from hermes_dsl.ir.model import ModelSpec
from hermes_dsl.perf.collectives import all_reduce_time
from hermes_dsl.perf.kernels import GemmCalibration
from hermes_dsl.perf.llm import LLMCost

# Vidur operator -> our single-kernel operator name.
VIDUR_OPERATORS: dict[str, str] = {
    "emb": "embedding",
    "input_layernorm": "input_norm",
    "attn_pre_proj": "qkv_proj",
    "attn_rope": "rope",
    "attn_post_proj": "o_proj",
    "post_attention_layernorm": "post_norm",
    "mlp_up_proj": "mlp_up",
    "mlp_act": "mlp_act",
    "mlp_down_proj": "mlp_down",
    "add": "add",
}

# Operators a table may hold, one kernel of one layer each (``add`` is one residual addition;
# a layer has two).  ``attn_prefill``: tokens = prompt tokens, batch = prompts (equal lengths);
# ``attn_decode``: tokens = summed context, batch = decoding requests; ``lm_head``: tokens =
# sequences; ``embedding``: tokens.
TABLE_OPERATORS = (
    "embedding",
    "input_norm",
    "qkv_proj",
    "rope",
    "o_proj",
    "post_norm",
    "mlp_up",
    "mlp_act",
    "mlp_down",
    "add",
    "attn_prefill",
    "attn_decode",
    "lm_head",
)
# Per-layer operators that depend on the token count only, with their kernels per layer.
_TOKEN_OPS: tuple[tuple[str, int], ...] = (
    ("input_norm", 1),
    ("qkv_proj", 1),
    ("rope", 1),
    ("o_proj", 1),
    ("post_norm", 1),
    ("mlp_up", 1),
    ("mlp_act", 1),
    ("mlp_down", 1),
    ("add", 2),
)


# ---- Vidur files -----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class VidurShape:
    """The model shape recorded in a Vidur profile."""

    n_head: int
    n_kv_head: int
    n_embd: int
    n_expanded_embd: int
    vocab_size: int
    use_gated_mlp: bool

    def model_spec(self, name: str = "profiled") -> ModelSpec:
        """A decoder ModelSpec with these dimensions (head_dim = n_embd / n_head)."""
        return ModelSpec(
            name=name,
            kind="decoder",
            layers=1,
            hidden=self.n_embd,
            heads=self.n_head,
            kv_heads=self.n_kv_head,
            head_dim=self.n_embd // self.n_head,
            ffn=self.n_expanded_embd,
            vocab=self.vocab_size,
            gated_mlp=self.use_gated_mlp,
        )


@dataclass(frozen=True, slots=True)
class VidurRecord:
    """One measured row: tokens, tp, and per-operator median seconds (absent ops omitted)."""

    tokens: int
    tp: int
    seconds: dict[str, float]


@dataclass(frozen=True, slots=True)
class VidurProfile:
    shape: VidurShape
    records: tuple[VidurRecord, ...]
    path: str = ""


def _flag(text: str) -> bool:
    return text.strip().lower() in ("true", "1", "yes")


def load_vidur_mlp(path: str | Path) -> VidurProfile:
    """Read a Vidur ``mlp.csv``; times converted from milliseconds to seconds.

    Raises :class:`ProfileError` naming the line of a malformed row.
    """
    path = Path(path)
    records = []
    shape = None
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in _VIDUR_COLUMNS if c not in (reader.fieldnames or ())]
        if missing:
            raise ProfileError(f"{path.name}: line 1: no column {missing[0]!r} (a Vidur mlp.csv)")
        for row in reader:
            line = reader.line_num
            try:
                if shape is None:
                    shape = VidurShape(
                        n_head=int(row["n_head"]),
                        n_kv_head=int(row["n_kv_head"]),
                        n_embd=int(row["n_embd"]),
                        n_expanded_embd=int(row["n_expanded_embd"]),
                        vocab_size=int(row["vocab_size"]),
                        use_gated_mlp=_flag(row["use_gated_mlp"]),
                    )
                secs = {}
                for op in VIDUR_OPERATORS:
                    v = row.get(f"time_stats.{op}.median", "")
                    if v not in ("", None):
                        x = float(v)
                        if math.isfinite(x):
                            secs[op] = _seconds(x * 1e-3)
                records.append(
                    VidurRecord(
                        tokens=_positive_int(row["num_tokens"], "num_tokens"),
                        tp=_positive_int(row["num_tensor_parallel_workers"], "tp"),
                        seconds=secs,
                    )
                )
            except (TypeError, ValueError) as err:
                raise ProfileError(f"{path.name}: line {line}: {_reason(err)}") from None
    if shape is None:
        raise ProfileError(f"{path.name}: no measurements")
    return VidurProfile(shape=shape, records=tuple(records), path=str(path))


def find_vidur_profiles(root: str | Path) -> list[tuple[str, str, Path]]:
    """(gpu, model, path) of every ``compute/<gpu>/<org>/<model>/mlp.csv`` under ``root``."""
    root = Path(root)
    out = []
    for p in sorted(root.glob("compute/*/*/*/mlp.csv")):
        out.append((p.parts[-4], p.parts[-2], p))
    return out


@dataclass(frozen=True, slots=True)
class NetworkRecord:
    size: int  # bytes
    workers: int
    devices_per_node: int
    seconds: float  # median


def load_network_csv(path: str | Path) -> list[NetworkRecord]:
    """Read a Vidur ``all_reduce.csv`` or ``send_recv.csv`` (median ms -> s)."""
    out = []
    with Path(path).open(newline="") as fh:
        for row in csv.DictReader(fh):
            col = next(k for k in row if k and k.endswith(".median"))
            out.append(
                NetworkRecord(
                    size=int(row["size"]),
                    workers=int(row["num_workers"]),
                    devices_per_node=int(row["devices_per_node"]),
                    seconds=float(row[col]) * 1e-3,
                )
            )
    return out


def analytical_kernel_time(cost: LLMCost, op: str, tokens: float) -> float:
    """Analytical seconds of ONE kernel of ``op`` (table semantics) for ``tokens`` tokens.

    This is what a profile row measures, so it is what the accuracy checks compare with.
    """
    plan = cost.plan
    km = cost.km
    gemms = {name: (k, n) for name, k, n in plan.attn_gemms + plan.mlp_gemms}
    if op in gemms:
        k, n = gemms[op]
        return km.gemm(tokens, k, n, plan.wb, plan.ab)
    if op in ("input_norm", "post_norm", "final_norm"):
        return km.elementwise(tokens * plan.norm_bytes, "norm")
    if op == "rope":
        return km.elementwise(tokens * plan.rope_bytes, "rope")
    if op == "mlp_act":
        return km.elementwise(tokens * plan.ffn_tp * plan.act_bytes_per_width, "act")
    if op == "add":
        return km.elementwise(tokens * plan.add_bytes, "add")
    if op == "embedding":
        return km.elementwise(tokens * plan.emb_bytes, "emb")
    if op == "lm_head":
        return km.gemm(tokens, plan.hidden, plan.vocab_tp, plan.wb, plan.ab)
    raise KeyError(op)


# ---- operator tables -------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class TableRow:
    operator: str
    tokens: float
    batch: float
    tp: int
    seconds: float


def table_from_vidur(profile: VidurProfile) -> list[TableRow]:
    """Vidur records as our table rows (duplicate measurements are averaged on lookup)."""
    rows = []
    for r in profile.records:
        for op, sec in r.seconds.items():
            rows.append(TableRow(VIDUR_OPERATORS[op], r.tokens, 1.0, r.tp, sec))
    return rows


def load_operator_table(path: str | Path) -> list[TableRow]:
    """Read our CSV format ``operator,tokens,batch,tp,seconds``.

    Raises :class:`ProfileError` naming the line of a malformed row.
    """
    path = Path(path)
    out = []
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames is None or not set(TABLE_HEADER) <= set(reader.fieldnames):
            raise ProfileError(f"{path.name}: line 1: the header must be {','.join(TABLE_HEADER)}")
        for row in reader:
            line = reader.line_num
            try:
                op = (row["operator"] or "").strip()
                if op not in TABLE_OPERATORS:
                    raise ValueError(f"unknown operator {op!r}")
                out.append(
                    TableRow(
                        op,
                        _positive(row["tokens"], "tokens"),
                        _positive(row["batch"] or "1", "batch"),
                        _positive_int(row["tp"], "tp"),
                        _seconds(float(row["seconds"])),
                    )
                )
            except (TypeError, ValueError) as err:
                raise ProfileError(f"{path.name}: line {line}: {_reason(err)}") from None
    if not out:
        raise ProfileError(f"{path.name}: no measurements")
    return out


class ProfileError(ValueError):
    """A profile file that cannot be used; the message names the file and line."""


TABLE_HEADER = ("operator", "tokens", "batch", "tp", "seconds")
_VIDUR_COLUMNS = (
    "num_tokens",
    "num_tensor_parallel_workers",
    "n_head",
    "n_kv_head",
    "n_embd",
    "n_expanded_embd",
    "vocab_size",
    "use_gated_mlp",
)


def _reason(err: Exception) -> str:
    text = str(err)
    if text.startswith("could not convert string to float"):
        return "not a number: " + text.split(":", 1)[1].strip()
    if text.startswith("invalid literal for int()"):
        return "not a whole number: " + text.split(":", 1)[1].strip()
    return text


def _positive(text: str | None, what: str) -> float:
    x = float(text)  # type: ignore[arg-type]
    if not (x > 0 and math.isfinite(x)):
        raise ValueError(f"{what} must be positive, found {text!r}")
    return x


def _positive_int(text: str | None, what: str) -> int:
    x = int(text)  # type: ignore[arg-type]
    if x < 1:
        raise ValueError(f"{what} must be at least 1, found {text!r}")
    return x


def _seconds(x: float) -> float:
    if not (x >= 0 and math.isfinite(x)):
        raise ValueError(f"a time must be a finite, non-negative number, found {x!r}")
    return x


@dataclass(frozen=True, slots=True)
class ProfileData:
    """A profile file, read: its format, its rows, and the model shape a Vidur file records."""

    format: str
    rows: tuple[TableRow, ...]
    shape: VidurShape | None = None

    @property
    def tps(self) -> tuple[int, ...]:
        return tuple(sorted({r.tp for r in self.rows}))


def shape_mismatch(shape: VidurShape, model: ModelSpec) -> str | None:
    """Why a Vidur file's recorded shape is not ``model``'s (``None`` when it is).

    The vocabulary is not compared: Vidur pads it (32,768 for Llama-2's 32,000), and only the
    embedding gather, whose time does not depend on it, is profiled.
    """
    pairs = (
        ("hidden", shape.n_embd, model.hidden),
        ("heads", shape.n_head, model.heads),
        ("kv_heads", shape.n_kv_head, model.kv_heads),
        ("ffn", shape.n_expanded_embd, model.ffn),
        ("gated_mlp", shape.use_gated_mlp, model.gated_mlp),
    )
    for name, measured, declared in pairs:
        if measured != declared:
            return (
                f"the profile was measured on a model with {name} = {measured}, "
                f"but `{model.name}` has {name} = {declared}"
            )
    return None


def detect_format(path: str | Path) -> str | None:
    """``"table"`` or ``"vidur"`` from a file's header line; ``None`` when it is neither."""
    try:
        with Path(path).open(newline="", encoding="utf-8-sig") as fh:
            header = next(csv.reader(fh), [])
    except (UnicodeDecodeError, csv.Error) as err:
        raise ProfileError(f"{Path(path).name}: line 1: {err}") from None
    names = {h.strip() for h in header}
    if set(TABLE_HEADER) <= names:
        return "table"
    if "num_tokens" in names and any(h.startswith("time_stats.") for h in names):
        return "vidur"
    return None


def read_profile(path: str | Path, fmt: str | None = None) -> ProfileData:
    """Read a profile file of either format (``fmt=None``: told by its header).

    Raises :class:`ProfileError` (or ``OSError``) when the file cannot be used.
    """
    found = detect_format(path)
    if fmt is None:
        if found is None:
            raise ProfileError(
                f"{Path(path).name}: line 1: neither a Vidur mlp.csv nor a table with the header "
                + ",".join(TABLE_HEADER)
            )
        fmt = found
    elif found is not None and found != fmt:
        raise ProfileError(f"{Path(path).name}: line 1: the header is that of a {found} file")
    try:
        if fmt == "vidur":
            prof = load_vidur_mlp(path)
            data = ProfileData("vidur", tuple(table_from_vidur(prof)), prof.shape)
        else:
            data = ProfileData("table", tuple(load_operator_table(path)))
    except (UnicodeDecodeError, csv.Error) as err:
        raise ProfileError(f"{Path(path).name}: {err}") from None
    if not data.rows:
        raise ProfileError(f"{Path(path).name}: no usable measurements (every time is empty)")
    return data


def write_operator_table(path: str | Path, rows: Iterable[TableRow]) -> None:
    with Path(path).open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["operator", "tokens", "batch", "tp", "seconds"])
        for r in rows:
            w.writerow([r.operator, r.tokens, r.batch, r.tp, repr(r.seconds)])


class Curve:
    """Piecewise-linear interpolation over tokens, per batch size, then across batch sizes.

    Exact at measured points (duplicates averaged).  :meth:`__call__` returns ``None`` outside
    the measured range so the caller decides what to fall back to.
    """

    __slots__ = ("batches", "series")

    def __init__(self, points: Iterable[tuple[float, float, float]]) -> None:
        acc: dict[float, dict[float, list[float]]] = defaultdict(lambda: defaultdict(list))
        for tokens, batch, sec in points:
            acc[batch][tokens].append(sec)
        self.batches: list[float] = sorted(acc)
        self.series: list[tuple[list[float], list[float]]] = []
        for b in self.batches:
            xs = sorted(acc[b])
            self.series.append((xs, [sum(acc[b][x]) / len(acc[b][x]) for x in xs]))

    @staticmethod
    def _interp(xs: list[float], ys: list[float], x: float) -> float | None:
        if x < xs[0] or x > xs[-1]:
            return None
        i = bisect.bisect_left(xs, x)
        if xs[i] == x:
            return ys[i]
        x0, x1 = xs[i - 1], xs[i]
        return ys[i - 1] + (ys[i] - ys[i - 1]) * (x - x0) / (x1 - x0)

    def range(self) -> tuple[float, float]:
        return min(s[0][0] for s in self.series), max(s[0][-1] for s in self.series)

    def __call__(self, tokens: float, batch: float = 1.0) -> float | None:
        bs = self.batches
        if len(bs) == 1:
            return self._interp(*self.series[0], tokens)
        if batch < bs[0] or batch > bs[-1]:
            return None
        j = bisect.bisect_left(bs, batch)
        hi = self._interp(*self.series[j], tokens)
        if bs[j] == batch or hi is None:
            return hi
        lo = self._interp(*self.series[j - 1], tokens)
        if lo is None:
            return None
        w = (batch - bs[j - 1]) / (bs[j] - bs[j - 1])
        return lo + (hi - lo) * w


class ProfiledCost:
    """Iteration time from measured per-operator kernel times, analytical where unmeasured.

    ``rows`` are table rows for any tp; those of ``tp`` are used.  Each operator is looked up at
    the batch's token count; outside the measured range the analytical model answers and a
    warning is recorded in :attr:`warnings` (one message per operator and direction) while
    :attr:`fallbacks` counts every such lookup.  Attention and the LM head come from the table
    when it has them, else from the analytical model (noted once in :attr:`warnings`).
    Collectives are analytical.
    """

    def __init__(
        self,
        device: DeviceSpec,
        model: ModelSpec,
        rows: Iterable[TableRow],
        tp: int = 1,
        pp: int = 1,
        link: LinkSpec | None = None,
        calibration: GemmCalibration | None = None,
        name: str = "",
    ) -> None:
        self.name = name  # the profile's name in the spec, for messages
        self.analytical = LLMCost(device, model, tp=tp, pp=pp, link=link, calibration=calibration)
        self.model = model
        self.tp = tp
        self.pp = pp
        pts: dict[str, list[tuple[float, float, float]]] = defaultdict(list)
        for r in rows:
            if r.tp == tp:
                pts[r.operator].append((r.tokens, r.batch, r.seconds))
        self.curves: dict[str, Curve] = {op: Curve(p) for op, p in pts.items()}
        self.warnings: list[str] = []
        self.fallbacks = 0
        self._warned: set[str] = set()
        self._token_cache: dict[int, float] = {}
        self._shape_cache: dict[tuple[int, float, int, int, int], float] = {}
        if model.is_moe:
            self._warn_once("moe", f"{model.name}: MoE layers are not profiled; analytical MLP")
        for op in (
            *(op for op, _ in _TOKEN_OPS),
            "attn_prefill",
            "attn_decode",
            "lm_head",
            "embedding",
        ):
            if op not in self.curves:
                self._warn_once(f"missing:{op}", f"{op} not in the profile (tp={tp}); analytical")

    def _warn_once(self, key: str, message: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            self.warnings.append(message)

    def lookup(self, op: str, tokens: float, batch: float = 1.0) -> float | None:
        """Measured seconds of one ``op`` kernel, or ``None`` (with a warning) outside the range."""
        curve = self.curves.get(op)
        if curve is None:
            return None
        v = curve(tokens, batch)
        if v is None:
            self.fallbacks += 1
            lo, hi = curve.range()
            side = "above" if tokens > hi else "below"
            self._warn_once(
                f"range:{op}:{side}",
                f"{op}: {tokens:g} tokens (batch {batch:g}) is {side} the profiled range "
                f"[{lo:g}, {hi:g}] at tp={self.tp}; using the analytical model",
            )
        return v

    def _layer_time(self, t: int) -> float:
        hit = self._token_cache.get(t)
        if hit is not None:
            return hit
        ana = self.analytical._layer_token_times(t)
        total = ana["tp_allreduce"]
        names = {"add": "residual_add"}
        for op, n in _TOKEN_OPS:
            v = self.lookup(op, t)
            if v is None:
                total += ana.get(names.get(op, op), 0.0)
            else:
                total += n * v
        if self.model.is_moe:
            for key in LLMCost._MOE:
                total += ana.get(key, 0.0)
        self._token_cache[t] = total
        return total

    def iteration_time(
        self,
        prefill_tokens: int,
        prefill_attn: float,
        prefill_seqs: int,
        decode_seqs: int,
        decode_context: int,
    ) -> float:
        """Seconds for one iteration (same protocol as the analytical model)."""
        key = (prefill_tokens, prefill_attn, prefill_seqs, decode_seqs, decode_context)
        hit = self._shape_cache.get(key)
        if hit is not None:
            return hit
        t = prefill_tokens + decode_seqs
        if t <= 0:
            return 0.0
        ana = self.analytical
        layer = self._layer_time(t)
        attn = 0.0
        pre = None
        if prefill_tokens > 0 and "attn_prefill" in self.curves:
            pre = self.lookup("attn_prefill", prefill_tokens, max(1, prefill_seqs))
        if pre is None:
            pre = ana._attention(prefill_tokens, prefill_attn, 0, 0)
        attn += pre
        dec = None
        if decode_seqs > 0 and "attn_decode" in self.curves:
            dec = self.lookup("attn_decode", decode_context, decode_seqs)
        if dec is None:
            dec = ana._attention(0, 0.0, decode_seqs, decode_context)
        attn += dec
        emb = self.lookup("embedding", t) if "embedding" in self.curves else None
        if emb is None:
            emb = ana.km.elementwise(t * ana.plan.emb_bytes, "emb")
        emb += all_reduce_time(t * ana.plan.allreduce_bytes, self.tp, ana.link)
        s = prefill_seqs + decode_seqs
        head = self.lookup("lm_head", s) if "lm_head" in self.curves else None
        if head is None:
            head = ana._head(s)
        head += ana.km.elementwise(t * ana.plan.norm_bytes, "norm")
        per_layer = layer + attn
        if self.pp == 1:
            total = self.model.layers * per_layer + emb + head
        else:
            xfer = ana.pipeline_transfer_time(t)
            total = 0.0
            for i, (d, m) in enumerate(ana.stages):
                st = (d + m) * per_layer
                st += emb if i == 0 else 0.0
                st += head if i == self.pp - 1 else xfer
                total = max(total, st)
        self._shape_cache[key] = total
        return total


def vidur_relative_errors(
    paths: Iterable[str | Path],
    device: DeviceSpec,
    calibration: GemmCalibration | None = None,
) -> dict[str, list[float]]:
    """Relative errors ``predicted / measured - 1`` of the analytical kernels, per operator.

    Every record of every Vidur ``mlp.csv`` in ``paths`` (all tp values) is compared, operator
    by operator, with :func:`analytical_kernel_time` on ``device``.
    """
    errors: dict[str, list[float]] = defaultdict(list)
    for path in paths:
        prof = load_vidur_mlp(path)
        model = prof.shape.model_spec(Path(path).parent.name)
        costs: dict[int, LLMCost] = {}
        for rec in prof.records:
            cost = costs.get(rec.tp)
            if cost is None:
                cost = costs[rec.tp] = LLMCost(device, model, tp=rec.tp, calibration=calibration)
            for op, sec in rec.seconds.items():
                name = VIDUR_OPERATORS[op]
                errors[name].append(analytical_kernel_time(cost, name, rec.tokens) / sec - 1.0)
    return dict(errors)
