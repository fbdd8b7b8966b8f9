"""From a resolved program to a running simulation: clients, routes, workload, results.

:func:`run_point` is what a generated spec module calls for each experiment point.  It builds

* per LLM stage, ``len(devices) // (tp * pp)`` :class:`~hermes_dsl.sim.client.LLMClient` s, in
  device order; each prices iterations with :class:`~hermes_dsl.perf.llm.LLMCost` (the device
  of its first GPU, the link joining its devices) and holds a paged KV cache of
  the KV budget :func:`hermes_dsl.check.fit.kv_fit` computes for ``hermes check --info``
  (per device: ``memory x memory_util - weights / (tp x pp)``, ``memory_util`` 0.9 by default);
* per embed / ivfpq / rerank / pre- / post-processing stage, one
  :class:`~hermes_dsl.sim.stages.BatchServer` per device, priced by ``perf.rag``;
* a ``kv_fetch`` stage's memory tiers, as shared bandwidths of the run's
  :class:`~hermes_dsl.sim.network.Fabric` (one per tier when ``shared``, else one per tier and
  LLM client);
* the workload's :class:`~hermes_dsl.sim.workload.RequestSet` (reasoning applied),

and runs a :class:`~hermes_dsl.sim.pipeline.Coordinator` until every request has left or the
experiment's horizon.  Problems a user can fix raise :class:`SimulationError` with the span of
the IR object concerned, never a bare traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from hermes_dsl.check.fit import kv_fit
from hermes_dsl.ir.experiment import Experiment, Program
from hermes_dsl.ir.hardware import Device, DeviceSpec, LinkSpec, Memory, MemorySpec, Platform
from hermes_dsl.ir.model import ModelSpec
from hermes_dsl.ir.pipeline import LLM_STAGES, Pipeline, Stage
from hermes_dsl.ir.profile import Profile
from hermes_dsl.ir.workload import Distribution, Workload
from hermes_dsl.perf.collectives import COLLECTIVE_STARTUP
from hermes_dsl.perf.llm import LLMCost
from hermes_dsl.perf.profiles import ProfileData, ProfiledCost, read_profile, shape_mismatch
from hermes_dsl.perf.rag import encoder_time, ivfpq_search, rerank_time
from hermes_dsl.sim.batching import BatchingPolicy
from hermes_dsl.sim.client import LLMClient, SimulationStalled
from hermes_dsl.sim.kv import KVCache
from hermes_dsl.sim.loop import EventLoop, StopReason
from hermes_dsl.sim.network import Fabric, Resource
from hermes_dsl.sim.pipeline import Coordinator, EdgeRT, RouteRT, StageRT, TierRT
from hermes_dsl.sim.presult import ClientRow, PipelineResult, ResourceRow
from hermes_dsl.sim.stages import BatchServer
from hermes_dsl.sim.traces import load_trace, read_column
from hermes_dsl.sim.workload import (
    EmpiricalLength,
    FixedLength,
    GammaArrivals,
    NormalArrivals,
    NormalLength,
    PoissonArrivals,
    RequestSet,
    UniformArrivals,
    UniformLength,
)
from hermes_dsl.source import Span

__all__ = [
    "Assembly",
    "SimulationError",
    "assemble",
    "build_llm_clients",
    "request_set",
    "run_point",
]

# B/s for swap preemption when no CPU is linked to a client's devices (the run says so): a
# PCIe 4.0 x16 link as delivered.
DEFAULT_HOST_BANDWIDTH = 25e9
TRACE_SLICES = 100_000  # iteration / batch slices kept for the Chrome trace, over all clients
TRACE_FLOWS = 20_000  # transfers kept for the Chrome trace
SAMPLED_REQUESTS = 24  # requests followed by flow arrows in the Chrome trace


class SimulationError(Exception):
    """A problem with the spec found while simulating, located at an IR object's span."""

    def __init__(self, message: str, span: Span | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.span = span
        self.hint = hint

    def __reduce__(self):  # type: ignore[no-untyped-def]
        # keep the span and hint when the error crosses a process boundary (`--workers`)
        return (type(self), (self.message, self.span, self.hint))


# -- workload ------------------------------------------------------------------------------
def _lengths(d: Distribution, what: str):  # type: ignore[no-untyped-def]
    if d.kind == "fixed":
        return FixedLength(int(d.get("value", 1)))
    if d.kind == "uniform":
        return UniformLength(int(d.get("min", 1)), int(d.get("max", 1)))
    if d.kind == "normal":
        hi = d.get("max")
        return NormalLength(
            float(d.get("mean", 1.0)),
            float(d.get("std", 0.0)),
            int(d.get("min", 1.0) or 1),
            None if hi is None else int(hi),
        )
    if d.kind == "trace":
        return EmpiricalLength(_trace_lengths(d, what))
    raise SimulationError(f"unknown {what} distribution `{d.kind}`", d.span)


def _trace_lengths(d: Distribution, what: str) -> np.ndarray:
    path = Path(d.path)
    try:
        if path.suffix == ".jsonl":
            rs = load_trace(path)
            col = d.column or ("input_length" if what == "prompt" else "output_length")
            return rs.prompt if col in ("input_length", "prompt") else rs.output
        return read_column(path, d.column).astype(np.int64)
    except FileNotFoundError:
        raise SimulationError(
            f"trace file {d.path} does not exist", d.span, "check the path, or pass --data DIR"
        ) from None
    except (ValueError, KeyError) as err:
        raise SimulationError(f"cannot read the {what} trace {d.path}: {err}", d.span) from None


def request_set(w: Workload, seed: int) -> RequestSet:
    """The workload's requests for ``seed`` (reasoning's output scale applied)."""
    n = int(w.requests)
    ra, rp, ro = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3))
    a = w.arrival
    trace = None
    if a.kind == "trace":
        try:
            trace = load_trace(a.path, rate=a.get("rate"), num_requests=n)
        except FileNotFoundError:
            raise SimulationError(
                f"trace file {a.path} does not exist", a.span, "check the path, or pass --data DIR"
            ) from None
        except (ValueError, KeyError) as err:
            raise SimulationError(
                f"cannot read the arrival trace {a.path}: {err}", a.span
            ) from None
        arrival = trace.arrival
        n = len(arrival)
    else:
        rate = a.get("rate")
        if rate is None or not rate > 0:
            raise SimulationError("an arrival process needs a positive rate", a.span)
        if a.kind == "poisson":
            proc = PoissonArrivals(rate)
        elif a.kind == "uniform":
            proc = UniformArrivals(rate)
        elif a.kind == "normal":
            cv = a.get("cv", 0.5) or 0.0
            proc = NormalArrivals(1.0 / rate, cv / rate)
        elif a.kind == "gamma":
            proc = GammaArrivals(rate, a.get("cv", 1.0) or 1.0)
        else:
            raise SimulationError(f"unknown arrival process `{a.kind}`", a.span)
        arrival = np.asarray(proc.sample(n, ra), dtype=np.float64)

    def column(d: Distribution, what: str, rng: np.random.Generator) -> np.ndarray:
        if trace is not None and d.kind == "trace" and d.path == a.path:
            same = trace.prompt if what == "prompt" else trace.output
            standard = {
                "prompt": ("", "num_prefill_tokens", "input_length", "ContextTokens"),
                "output": ("", "num_decode_tokens", "output_length", "GeneratedTokens"),
            }
            if d.column in standard[what] or d.column in ("Request tokens", "Response tokens"):
                return same
        return np.asarray(_lengths(d, what).sample(n, rng), dtype=np.int64)

    prompt = column(w.prompt, "prompt", rp)
    output = column(w.output, "output", ro)
    hashes = None
    block = 512
    if w.prefix is not None:
        p = w.prefix
        block = int(p.get("block", 512) or 512)
        try:
            pt = load_trace(p.path, num_requests=n)
        except FileNotFoundError:
            raise SimulationError(f"trace file {p.path} does not exist", p.span) from None
        if pt.hash_ids is None:
            raise SimulationError(
                f"{p.path} has no prefix hashes (`hash_ids`)",
                p.span,
                "prefix traces are Mooncake JSON lines",
            )
        hashes = pt.hash_ids[:n]
    r = w.reasoning
    if r.kind in ("single", "parallel") and r.scale != 1.0:
        output = np.maximum(np.rint(output * r.scale), 1).astype(np.int64)
    if w.duration > 0:
        keep = arrival < w.duration
        arrival, prompt, output = arrival[keep], prompt[keep], output[keep]
        if hashes is not None:
            hashes = tuple(h for h, k in zip(hashes, keep.tolist(), strict=True) if k)
    return RequestSet(arrival, prompt, output, hashes, block, w.name)


# -- hardware lookups ----------------------------------------------------------------------
class _Hardware:
    def __init__(self, program: Program) -> None:
        self.devices: dict[str, tuple[Device, Platform]] = {}
        self.memories: dict[str, tuple[Memory, Platform]] = {}
        for p in program.platforms:
            for d in p.devices:
                self.devices[d.path] = (d, p)
            for m in p.memories:
                self.memories[m.path] = (m, p)
        self._topo: dict[str, object] = {}
        self._paths: dict[tuple[str, str], object] = {}
        self._cpus: dict[str, list[Device]] = {}

    def topology(self, platform: Platform):  # type: ignore[no-untyped-def]
        t = self._topo.get(platform.name)
        if t is None:
            from hermes_dsl.check.topology import topology_graph

            t = topology_graph(platform)
            self._topo[platform.name] = t
        return t

    def device(self, path: str, stage: Stage) -> Device:
        found = self.devices.get(path)
        if found is None:
            raise SimulationError(f"stage `{stage.name}` runs on unknown device {path}", stage.span)
        return found[0]

    def platform_of(self, path: str) -> Platform | None:
        found = self.devices.get(path) or self.memories.get(path)
        return None if found is None else found[1]

    def path_info(self, a: str, b: str):  # type: ignore[no-untyped-def]
        key = (a, b)
        if key in self._paths:
            return self._paths[key]
        info = None
        pa = self.platform_of(a)
        if pa is not None and a != b and pa is self.platform_of(b):
            topo = self.topology(pa)
            if a in self.memories:
                info = topo.memory_path(b, a)
            elif b in self.memories:
                info = topo.memory_path(a, b)
            else:
                info = topo.path(a, b)
        self._paths[key] = info
        return info

    def _linked_cpus(self, platform: Platform) -> list[Device]:
        """The platform's CPUs that some link names as an endpoint (computed once)."""
        cpus = self._cpus.get(platform.name)
        if cpus is None:
            wired = {e for lk in platform.links for e in lk.endpoints}
            cpus = [d for d in platform.devices if d.spec.kind == "cpu" and d.path in wired]
            self._cpus[platform.name] = cpus
        return cpus

    def host_bandwidth(self, devices: tuple[str, ...]) -> float | None:
        """B/s between a client's devices and host memory, for swapping KV blocks out and in.

        Each device swaps its own share through the path to its nearest CPU that a link names
        as an endpoint (fewest links, then the fastest; CPUs in the device's own group first):
        a CPU no link names is not wired to anything, and reaching it through the GPUs' own
        fabric would swap at NVLink speed.  As in the fabric, each link endpoint carries the
        link's bandwidth: devices entering the CPU through the same link share that link's end
        there (the fastest of their paths counts, not their sum); separate links add up.
        ``None`` when a device reaches no such CPU.
        """
        per_entry: dict[tuple[str, str], float] = {}
        for path in devices:
            found = self.devices.get(path)
            if found is None:
                return None
            dev, platform = found
            cpus = self._linked_cpus(platform)
            near = [d for d in cpus if d.parent == dev.parent] or cpus
            best: tuple[tuple[int, float, str], str, float] | None = None
            for cpu in near:
                info = self.path_info(path, cpu.path)
                if info is None or not info.links or cpu.path not in info.links[-1].endpoints:
                    continue
                key = (len(info.links), -info.bottleneck_bandwidth, cpu.path)
                if best is None or key < best[0]:
                    best = (key, info.links[-1].path, info.bottleneck_bandwidth)
            if best is None:
                return None
            entry = (best[0][2], best[1])  # the CPU and the link that enters it
            per_entry[entry] = max(per_entry.get(entry, 0.0), best[2])
        return sum(per_entry.values())

    def common_link(self, devices: tuple[str, ...]) -> LinkSpec | None:
        if len(devices) < 2:
            return None
        p = self.platform_of(devices[0])
        if p is None:
            return None
        link = self.topology(p).common_link(list(devices))
        if link is not None:
            return link.spec
        info = self.path_info(devices[0], devices[1])
        return None if info is None or not info.links else info.link_spec()


def _path_fn(
    hw: _Hardware, fabric: Fabric
) -> Callable[[str, str], tuple[tuple[Resource, ...], float]]:
    cache: dict[tuple[str, str], tuple[tuple[Resource, ...], float]] = {}

    def path(a: str, b: str) -> tuple[tuple[Resource, ...], float]:
        key = (a, b)
        hit = cache.get(key)
        if hit is not None:
            return hit
        info = hw.path_info(a, b)
        if info is None or not info.links:
            out: tuple[tuple[Resource, ...], float] = ((), 0.0)
        else:
            res = []
            hops = list(info.hops)
            for link in info.links:
                # One resource per link endpoint crossed; a climb to the group the link is
                # declared in (an uplink) is not an endpoint and shares nothing.
                rate = link.spec.bandwidth * link.spec.efficiency
                try:
                    j = hops.index(link.path)
                    ends = [hops[j - 1]] + ([hops[j + 1]] if j + 1 < len(hops) else [])
                except ValueError:
                    ends = [a, b]
                for end in dict.fromkeys(e for e in ends if e in link.endpoints):
                    short = end.rsplit(".", 1)[-1]
                    key = ("link", link.path, end)
                    res.append(fabric.resource(key, f"{link.path}:{short}", rate))
                if not any(e in link.endpoints for e in ends):
                    res.append(fabric.resource(("link", link.path), link.path, rate))
            out = (tuple(res), info.latency)
        cache[key] = out
        return out

    return path


# -- clients -------------------------------------------------------------------------------
def _policy(stage: Stage, model: ModelSpec) -> BatchingPolicy:
    b = stage.batching
    kind = b.policy if b is not None else "continuous"
    max_batch = b.max_batch if b is not None else 256
    max_tokens = b.max_tokens if b is not None else 8192
    packing = "lwl" if b is not None and b.packing in ("least_work_left", "lwl") else "fcfs"
    if kind != "chunked":
        # Without chunking a whole prompt must fit one iteration: vLLM requires
        # max_num_batched_tokens >= max_model_len in that case.
        max_tokens = max(max_tokens, model.max_context)
    try:
        return BatchingPolicy(kind, max_batch, max_tokens, packing)
    except ValueError as err:
        raise SimulationError(str(err), b.span if b is not None else stage.span) from None


def _profile_table(profile: Profile, cache: dict) -> ProfileData:  # type: ignore[type-arg]
    """A profile's file, read once per run (several stages and tp values share a file)."""
    key = ("profile data", profile.path, profile.format)
    data = cache.get(key)
    if data is None:
        try:
            data = cache[key] = read_profile(profile.path, profile.format or None)
        except FileNotFoundError:
            raise SimulationError(
                f"profile file `{profile.path}` not found",
                profile.span,
                "pass its folder with `--data DIR` or set HERMES_DATA",
            ) from None
        except (OSError, ValueError) as err:
            raise SimulationError(
                f"cannot use profile file `{profile.path}`: {err}", profile.span
            ) from None
    return data


def _profiled_cost(
    profile: Profile,
    stage: Stage,
    dev: DeviceSpec,
    model: ModelSpec,
    link: LinkSpec | None,
    cache: dict,  # type: ignore[type-arg]
) -> ProfiledCost:
    """The cost model of a profiled client, after the checks `hermes check` makes on the file
    (repeated here: a file found only when the module runs was not there to check)."""
    data = _profile_table(profile, cache)
    if data.shape is not None and (why := shape_mismatch(data.shape, model)) is not None:
        raise SimulationError(why, profile.span, "use the profile of this model, or profile it")
    if stage.tp not in data.tps:
        raise SimulationError(
            f"stage `{stage.name}` runs at tp = {stage.tp}, but profile `{profile.name}` has no "
            f"measurements at tp = {stage.tp}",
            stage.span,
            "measured at tp = " + ", ".join(map(str, data.tps)),
        )
    return ProfiledCost(dev, model, data.rows, stage.tp, stage.pp, link, name=profile.name)


def _swap_bandwidth(
    hw: _Hardware, stage: Stage, devices: tuple[str, ...], notes: list[str] | None
) -> float:
    bw = hw.host_bandwidth(devices)
    if bw is not None:
        return bw
    prefix = f"stage `{stage.name}`: swap preemption, but"
    if notes is not None and not any(n.startswith(prefix) for n in notes):
        notes.append(
            f"{prefix} its devices reach no CPU through a link (e.g. `{devices[0]}`); "
            f"swapping at {DEFAULT_HOST_BANDWIDTH / 1e9:g} GB/s (PCIe 4.0 x16)"
        )
    return DEFAULT_HOST_BANDWIDTH


def build_llm_clients(
    program: Program,
    stage: Stage,
    *,
    prefix_caching: bool = False,
    hash_block_size: int = 512,
    typical_tokens: float = 0.0,
    hw: _Hardware | None = None,
    costs: dict | None = None,
    notes: list[str] | None = None,
) -> list[LLMClient]:
    """The clients of an LLM stage (see the module docstring).

    ``notes`` collects what had to be assumed, for the run's warnings.
    """
    hw = hw or _Hardware(program)
    costs = {} if costs is None else costs
    if stage.model is None:
        raise SimulationError(f"stage `{stage.name}` names no model", stage.span)
    model = program.model(stage.model)
    if model.kind != "decoder":
        raise SimulationError(
            f"stage `{stage.name}` runs `{model.name}`, a {model.kind}, but LLM stages need a "
            "decoder model",
            stage.span,
        )
    per = stage.tp * stage.pp
    n = len(stage.devices) // per
    if n < 1:
        raise SimulationError(
            f"stage `{stage.name}` needs {per} devices per client (tp x pp) but is placed on "
            f"{len(stage.devices)}",
            stage.span,
            "place it on more devices or lower tp / pp",
        )
    preemption = str(stage.option("preemption", "recompute") or "recompute")
    role = {"generate": "both", "prefill": "prefill", "decode": "decode"}[stage.kind]
    policy = _policy(stage, model)
    kvpt = model.kv_bytes_per_token
    clients = []
    for i in range(n):
        devs = stage.devices[i * per : (i + 1) * per]
        dev = hw.device(devs[0], stage).spec
        link = hw.common_link(devs) if per > 1 else None
        profile = program.profile_for(dev, model.name)
        key = (dev, model, stage.tp, stage.pp, link, profile)
        cost = costs.get(key)
        if cost is None:
            try:
                if profile is None:
                    cost = LLMCost(dev, model, stage.tp, stage.pp, link)
                else:
                    cost = _profiled_cost(profile, stage, dev, model, link, costs)
            except ValueError as err:
                raise SimulationError(f"stage `{stage.name}`: {err}", stage.span) from None
            costs[key] = cost
        # The same budget `hermes check --info` reports: per device, KV heads split by tp.
        fit = kv_fit(stage, model, dev)
        if not fit.weights_fit:
            raise SimulationError(
                f"the weights of `{model.name}` ({model.weight_bytes / 1e9:.1f} GB) do not fit "
                f"a client of stage `{stage.name}` ({per} x {dev.type_name}, "
                f"{fit.usable * per / 1e9:.1f} GB usable at memory_util {fit.memory_util:g})",
                stage.span,
                "raise tp or pp, use a smaller dtype, or larger devices",
            )
        try:
            kv = KVCache.from_memory(
                capacity_bytes=fit.free,
                kv_bytes_per_token=fit.kv_bytes_per_token,
                block_size=fit.kv_block,
                prefix_caching=prefix_caching,
            )
        except ValueError as err:
            raise SimulationError(f"stage `{stage.name}`: {err}", stage.span) from None
        if typical_tokens and kv.num_blocks * kv.block_size < typical_tokens:
            raise SimulationError(
                f"the KV cache of a `{stage.name}` client holds "
                f"{kv.num_blocks * kv.block_size} tokens, "
                f"less than a typical request needs ({typical_tokens:.0f})",
                stage.span,
                "raise tp, memory_util or use a smaller kv_dtype",
            )
        clients.append(
            LLMClient(
                name=f"{stage.name}[{i}]",
                cost=cost,
                kv=kv,
                policy=policy,
                role=role,
                kv_bytes_per_token=kvpt,
                preemption=preemption,
                host_bandwidth=_swap_bandwidth(hw, stage, devs, notes)
                if preemption == "swap"
                else None,
                busy_power=dev.tdp * per,
                idle_power=dev.idle_power * per,
                hash_block_size=hash_block_size,
            )
        )
    return clients


def _server_clients(program: Program, stage: Stage, hw: _Hardware) -> list[BatchServer]:
    kind = stage.kind
    opt = stage.option
    if kind in ("preprocess", "postprocess"):
        fixed = float(opt("time", 0.0) or 0.0)
        per_token = float(opt("per_token", 0.0) or 0.0)
        workers = int(opt("workers", 1) or 1)
        pre = kind == "preprocess"

        def service(items, fixed=fixed, per_token=per_token, pre=pre):  # type: ignore[no-untyped-def]
            job = items[0][0]
            return fixed + per_token * (job.prompt if pre else job.output)

        devs = stage.devices or ("",)
        out = []
        for i, d in enumerate(devs):
            spec = hw.device(d, stage).spec if d else None
            out.append(
                BatchServer(
                    name=f"{stage.name}[{i}]",
                    service=service,
                    workers=workers,
                    busy_power=spec.tdp if spec else 0.0,
                    idle_power=spec.idle_power if spec else 0.0,
                )
            )
        return out
    if not stage.devices:
        raise SimulationError(
            f"stage `{stage.name}` ({kind}) is placed on no device",
            stage.span,
            "add `on DEVICE` (a CPU or an accelerator)",
        )
    batch = int(opt("batch", 1) or 1)
    model = None
    if kind in ("embed", "rerank"):
        if stage.model is None:
            raise SimulationError(f"stage `{stage.name}` names no model", stage.span)
        model = program.model(stage.model)
    out = []
    for i, d in enumerate(stage.devices):
        dev = hw.device(d, stage).spec
        if model is not None and model.weight_bytes > dev.memory:
            raise SimulationError(
                f"the weights of `{model.name}` ({model.weight_bytes / 1e9:.1f} GB) do not fit "
                f"{d} ({dev.memory / 1e9:.1f} GB)",
                stage.span,
                "place the stage on a device with more memory, or use a smaller model",
            )
        cache: dict[tuple[int, int], float] = {}
        if kind == "embed":
            fixed_tokens = int(opt("tokens", 0) or 0)
            limit = max(int(model.max_context), 1)

            def service(
                items, dev=dev, model=model, cache=cache, fixed_tokens=fixed_tokens, limit=limit
            ):  # type: ignore[no-untyped-def]
                tokens = fixed_tokens or max(it[0].prompt for it in items)
                tokens = min(tokens, limit)
                key = (len(items), tokens)
                t = cache.get(key)
                if t is None:
                    t = cache[key] = encoder_time(dev, model, len(items), tokens)
                return t

        elif kind == "ivfpq":
            args = (
                int(opt("centroids")),
                int(opt("dim", 768)),
                int(opt("probes")),
                int(opt("points_per_probe")),
                int(opt("code_bytes", 64)),
            )

            def service(items, dev=dev, args=args, cache=cache):  # type: ignore[no-untyped-def]
                key = (len(items), 0)
                t = cache.get(key)
                if t is None:
                    t = cache[key] = ivfpq_search(dev, *args, queries=len(items)).seconds
                return t

        elif kind == "rerank":
            docs = int(opt("docs", 20))
            doc_tokens = int(opt("doc_tokens", 512))

            def service(items, dev=dev, model=model, cache=cache, docs=docs, doc_tokens=doc_tokens):  # type: ignore[no-untyped-def]
                key = (len(items), 0)
                t = cache.get(key)
                if t is None:
                    t = cache[key] = rerank_time(dev, model, docs * len(items), doc_tokens)
                return t

        else:  # pragma: no cover - the resolver admits no other kind
            raise SimulationError(f"unknown stage kind `{kind}`", stage.span)
        out.append(
            BatchServer(
                name=f"{stage.name}[{i}]",
                service=service,
                batch=batch,
                busy_power=dev.tdp,
                idle_power=dev.idle_power,
            )
        )
    return out


# -- assembly ------------------------------------------------------------------------------
class Assembly:
    """A built, not yet run, simulation of one experiment point."""

    def __init__(
        self,
        program: Program,
        experiment: Experiment,
        seed: int,
        progress: Callable[[float, int, int], None] | None = None,
    ) -> None:
        self.program = program
        self.experiment = experiment
        try:
            pipeline = program.pipeline(experiment.pipeline)
            workload = program.workload(experiment.workload)
        except StopIteration:
            raise SimulationError(
                f"experiment `{experiment.name}` names an unknown pipeline or workload",
                experiment.span,
            ) from None
        self.pipeline = pipeline
        self.workload = workload
        self.requests = request_set(workload, seed)
        horizon = experiment.horizon if experiment.horizon > 0 else None
        self.loop = EventLoop(horizon=horizon)
        self.fabric = Fabric(self.loop, log_limit=TRACE_FLOWS)
        self.hw = _Hardware(program)
        self.costs: dict = {}  # type: ignore[type-arg]  # iteration cost models, shared by clients
        self.notes: list[str] = []  # what building the run had to assume, for its warnings
        self.tier_specs: dict[str, tuple[MemorySpec, str]] = {}  # tier -> (spec, kv_fetch stage)
        self.stages = self._stages(pipeline, workload)
        self.edges = self._edges(pipeline)
        r = workload.reasoning
        branches = r.branches if r.kind == "parallel" else 1
        try:
            self.coordinator = Coordinator(
                self.loop,
                self.stages,
                self.edges,
                fabric=self.fabric,
                path=_path_fn(self.hw, self.fabric),
                branches=branches,
                seed=seed,
                startup=COLLECTIVE_STARTUP,
                progress=progress,
            )
        except ValueError as err:
            raise SimulationError(str(err), pipeline.span) from None

    def _stages(self, pipeline: Pipeline, workload: Workload) -> list[StageRT]:
        program = self.program
        routes = {r.stage: r for r in pipeline.routes}
        r = workload.reasoning
        prefix = workload.prefix is not None or (r.kind == "parallel" and r.branches > 1)
        block = 512
        if workload.prefix is not None:
            block = int(workload.prefix.get("block", 512) or 512)
        rs = self.requests
        typical = float(np.median(rs.prompt + rs.output)) if len(rs) else 0.0
        costs = self.costs
        out = []
        n_clients = sum(
            max(len(s.devices) // (s.tp * s.pp), 1) if s.kind in LLM_STAGES else len(s.devices)
            for s in pipeline.stages
        )
        per_client = max(TRACE_SLICES // max(n_clients, 1), 200)
        for s in pipeline.stages:
            route = routes.get(s.name)
            rt = RouteRT()
            if route is not None:
                opts = dict(route.options)
                rt = RouteRT(
                    policy=route.policy,
                    measure=route.measure,
                    threshold=float(opts.get("threshold", 2048.0)),
                    heavy=float(opts.get("heavy", 0.5)),
                    seed=int(opts.get("seed", 0) or 0),
                )
            st = StageRT(name=s.name, kind=s.kind, route=rt, span=s.span)
            if s.kind in LLM_STAGES:
                st.clients = build_llm_clients(
                    program,
                    s,
                    prefix_caching=prefix,
                    hash_block_size=block,
                    typical_tokens=typical,
                    hw=self.hw,
                    costs=costs,
                    notes=self.notes,
                )
                per = s.tp * s.pp
                st.devices = [
                    tuple(s.devices[i * per : (i + 1) * per]) for i in range(len(st.clients))
                ]
            elif s.kind == "kv_fetch":
                st.tiers, st.kv_bytes_per_token = self._tiers(s, pipeline)
                st.shared = bool(s.option("shared", False))
            else:
                st.clients = _server_clients(program, s, self.hw)
                st.devices = [(d,) for d in s.devices] if s.devices else [()]
                if s.kind == "ivfpq":
                    st.add_tokens = int(s.option("docs", 20)) * int(s.option("doc_tokens", 512))
                elif s.kind == "rerank":
                    st.keep_tokens = int(s.option("keep", 5)) * int(s.option("doc_tokens", 512))
            for c in st.clients:
                c.trace_limit = per_client
            out.append(st)
        return out

    def _tiers(self, s: Stage, pipeline: Pipeline) -> tuple[tuple[TierRT, ...], float]:
        tiers = s.option("tiers", ()) or ()
        hits = s.option("hit", ()) or ()
        if len(tiers) != len(hits):
            raise SimulationError(
                f"`{s.name}` has {len(tiers)} tiers but {len(hits)} hit rates", s.span
            )
        out = []
        for path, hit in zip(tiers, hits, strict=True):
            found = self.hw.memories.get(path)
            if found is None:
                raise SimulationError(f"`{s.name}` fetches from unknown memory {path}", s.span)
            m = found[0]
            if not m.spec.bandwidth > 0:
                raise SimulationError(f"memory {path} has no bandwidth", m.span)
            if not 0.0 <= float(hit) <= 1.0:
                raise SimulationError(f"hit rate {hit} of {path} is not within 0..1", s.span)
            out.append(TierRT(path, float(hit), m.spec.lookup, m.spec.bandwidth))
            self.tier_specs.setdefault(path, (m.spec, s.name))
        model_name = s.model
        if model_name is None:
            llm = [x for x in pipeline.stages if x.kind in LLM_STAGES and x.model]
            model_name = llm[0].model if llm else None
        if model_name is None:
            raise SimulationError(f"`{s.name}` cannot size the KV cache: name the model", s.span)
        return tuple(out), self.program.model(model_name).kv_bytes_per_token

    def _edges(self, pipeline: Pipeline) -> list[EdgeRT]:
        index = {s.name: i for i, s in enumerate(pipeline.stages)}
        edges = []
        for e in pipeline.edges:
            if e.source not in index or e.target not in index:
                raise SimulationError(
                    f"flow names an unknown stage: {e.source} -> {e.target}", e.span
                )
            edges.append(EdgeRT(index[e.source], index[e.target], e.kind, e.fraction, e.max_times))
        if not edges and len(pipeline.stages) > 1:
            edges = [EdgeRT(i, i + 1) for i in range(len(pipeline.stages) - 1)]
        kinds = [s.kind for s in pipeline.stages]
        for i, s in enumerate(pipeline.stages):
            if s.kind == "decode":
                up = self._upstream(i, edges)
                if not any(kinds[j] == "prefill" for j in up):
                    raise SimulationError(
                        f"decode stage `{s.name}` has no prefill stage before it",
                        s.span,
                        "add `flow PREFILL -> " + s.name + "`, or make it a `generate` stage",
                    )
        return edges

    @staticmethod
    def _upstream(i: int, edges: list[EdgeRT]) -> set[int]:
        seen: set[int] = set()
        frontier = [i]
        while frontier:
            u = frontier.pop()
            for e in edges:
                if e.target == u and e.kind != "loop" and e.source not in seen:
                    seen.add(e.source)
                    frontier.append(e.source)
        return seen

    def run(self) -> PipelineResult:
        c = self.coordinator
        c.start(self.requests)
        try:
            reason = c.run()
        except SimulationStalled as err:
            span = self.pipeline.span
            for s, st in zip(self.pipeline.stages, self.stages, strict=True):
                if st.kind in LLM_STAGES and any(cl.name in str(err) for cl in st.clients):
                    span = s.span
            raise SimulationError(str(err), span, "give the clients more memory") from None
        return self._result(reason)

    def _result(self, reason: str) -> PipelineResult:
        c = self.coordinator
        loop = self.loop
        end = loop.horizon if reason == StopReason.HORIZON else loop.now
        n = len(self.requests)
        cols = {
            "arrival": c.c_arrival[:n],
            "prompt": c.c_prompt[:n],
            "context": c.c_context[:n],
            "output": c.c_output[:n],
            "first_token": c.c_first[:n],
            "llm_first": c.c_llm_first[:n],
            "llm_done": c.c_llm_done[:n],
            "llm_output": c.c_llm_out[:n],
            "completion": c.c_completion[:n],
            "left": c.c_left[:n],
            "queue": c.c_queue[:n],
            "status": c.c_status[:n],
            "reason_code": c.c_reason[:n],
            "tier": c.c_tier[:n],
            "preemptions": c.c_preempt[:n],
        }
        stage_cols = c.stage_columns()
        rows: list[ClientRow] = []
        logs: dict[str, tuple[np.ndarray, ...]] = {}
        client_stage: dict[str, str] = {}
        for si, st in enumerate(self.stages):
            sel = stage_cols["stage"] == si
            served = np.bincount(stage_cols["client"][sel], minlength=len(st.clients))
            for ci, cl in enumerate(st.clients):
                stats = cl.finalize(end)
                extra = {}
                if isinstance(cl, LLMClient):
                    extra = {
                        "preemptions": stats.preemptions,
                        "kv_peak_blocks": stats.kv_peak_blocks,
                        "kv_blocks": stats.kv_blocks,
                    }
                rows.append(
                    ClientRow(
                        name=cl.name,
                        stage=si,
                        kind=st.kind,
                        busy_time=stats.busy_time,
                        utilisation=stats.utilisation,
                        energy=stats.energy,
                        served=int(served[ci]) if ci < len(served) else 0,
                        **extra,
                    )
                )
                logs[cl.name] = cl.iteration_log()
                client_stage[cl.name] = st.name
        res_rows = []
        a = cols["arrival"]
        a = a[~np.isnan(a)]
        duration = max(end - (float(a.min()) if len(a) else 0.0), 0.0)
        for r in self.fabric.resources:
            busy = self.fabric.busy_time(r, end)
            util = r.bytes / (r.capacity * duration) if duration > 0 else 0.0
            energy, stage = 0.0, ""
            if r.kind == "memory":
                # A tier (or a client's private share of it, which the bandwidth model treats
                # as hardware of its own, at the tier's full bandwidth) draws its idle power for
                # the whole run and its extra active power for the time its bytes take.
                spec, stage = self.tier_specs[r.name.split("@")[0]]
                active = max(spec.tdp - spec.idle_power, 0.0) * r.bytes / r.capacity
                energy = spec.idle_power * end + active
            res_rows.append(
                ResourceRow(
                    r.name, r.kind, r.capacity, r.bytes, busy, min(util, 1.0), energy, stage
                )
            )
        cols["ttft"] = cols["first_token"] - cols["arrival"]
        cols["e2e"] = cols["completion"] - cols["arrival"]
        out = cols["llm_output"]
        with np.errstate(invalid="ignore", divide="ignore"):
            tpot = (cols["llm_done"] - cols["llm_first"]) / (out - 1)
        cols["tpot"] = np.where(out > 1, tpot, np.nan)
        step = max(n // SAMPLED_REQUESTS, 1)
        return PipelineResult(
            requests=cols,
            reasons=tuple(c.reasons),
            stage_names=tuple(s.name for s in self.stages),
            stage_kinds=tuple(s.kind for s in self.stages),
            stages=stage_cols,
            clients=tuple(rows),
            resources=tuple(res_rows),
            end_time=end,
            events=loop.events,
            stop_reason=reason,
            slo_terms=self.experiment.slo,
            report=self.experiment.report,
            iteration_logs=logs,
            client_stage=client_stage,
            flow_log=self.fabric.log(),
            sampled=tuple(range(0, n, step))[:SAMPLED_REQUESTS],
            name=self.experiment.name,
            warnings=self._warnings(),
        )

    def _warnings(self) -> tuple[str, ...]:
        """What the run assumed, and measured profiles the batches went outside of."""
        out = list(self.notes)
        for cost in self.costs.values():
            if isinstance(cost, ProfiledCost) and cost.warnings:
                out += [f"profile `{cost.name}`: {w}" for w in cost.warnings]
                if cost.fallbacks:
                    out.append(
                        f"profile `{cost.name}`: {cost.fallbacks} kernel lookups outside the "
                        "measured range used the analytical model"
                    )
        return tuple(out)


def assemble(
    program: Program,
    experiment: str,
    seed: int,
    progress: Callable[[float, int, int], None] | None = None,
) -> Assembly:
    exp = next((e for e in program.experiments if e.name == experiment), None)
    if exp is None:
        raise SimulationError(f"no experiment named `{experiment}`")
    return Assembly(program, exp, seed, progress)


def run_point(
    program: Program,
    experiment: str,
    seed: int,
    progress: Callable[[float, int, int], None] | None = None,
) -> PipelineResult:
    """Simulate one experiment point of ``program`` with ``seed``; see the module docstring."""
    result = assemble(program, experiment, seed, progress).run()
    if progress is not None:
        done = int((result.requests["status"] > 0).sum())
        progress(result.end_time, done, len(result.requests["arrival"]))
    return result
