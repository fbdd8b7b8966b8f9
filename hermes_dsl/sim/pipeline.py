"""The global coordinator: requests walk a pipeline's dataflow graph, stage by stage.

Why a coordinator apart from the clients: a client serves one stage and knows nothing of what
comes before or after; the coordinator owns the request's journey.  At each stage it routes the
request to one of the stage's clients, moves what must move (retrieved context to the LLM, a KV
cache from a memory tier or from a prefill client to a decode client) over the shared
:class:`~hermes_dsl.sim.network.Fabric`, and when the stage is done follows the graph's edges:

* ``next`` and ``fan`` edges are all taken (a fan-out runs its branches in parallel);
* ``branch`` edges: exactly one is taken, drawn with the edges' fractions (seeded);
* ``loop`` edges are taken (with their fraction, 1 by default) while the request has taken
  that edge fewer than ``max_times`` times; otherwise the stage's other edges are followed.

A request in parallel branches holds several *tokens*; a stage with several incoming edges is a
join: a token arriving there waits until every live token of the request is waiting there,
then they merge into one.  A token reaching a stage with no outgoing edge leaves; the request
completes when its last token leaves.

LLM stages: ``generate`` (prefill and decode on one client), ``prefill`` (hands the request
and its KV cache on) and ``decode`` (receives it).  Each LLM visit is one
:class:`LLMRequest` (a :class:`~hermes_dsl.sim.request.Request` tied to its pipeline job); the
prompt is the job's context: its own prompt, plus retrieved documents, plus the outputs of
earlier visits when a loop comes back.  Parallel reasoning forks ``branches`` decodes once the
prompt is prefilled; they share the prompt's KV blocks (prefix sharing on the client, so the
prompt is counted once) and the visit ends when the last branch finishes.

Everything is deterministic for a seed: branch and tier draws come from seeded generators,
routing ties go to the lowest client index, and no hash-ordered container is iterated.
"""

from __future__ import annotations

import math
import random
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hermes_dsl.sim.client import LLMClient
from hermes_dsl.sim.loop import EventLoop, StopReason
from hermes_dsl.sim.network import Fabric, Resource
from hermes_dsl.sim.request import Request
from hermes_dsl.sim.workload import RequestSet

__all__ = [
    "Coordinator",
    "EdgeRT",
    "Job",
    "LLMRequest",
    "PathFn",
    "RouteRT",
    "StageRT",
    "TierRT",
]

LLM_KINDS = ("generate", "prefill", "decode")
SERVER_KINDS = ("preprocess", "postprocess", "embed", "ivfpq", "rerank")
TEXT_BYTES_PER_TOKEN = 4.0  # retrieved documents travel as text, ~4 bytes per token

# (resources, latency in s) of the way from one device (or memory) to another.
PathFn = Callable[[str, str], tuple[tuple[Resource, ...], float]]

IN_FLIGHT, COMPLETED, REJECTED = 0, 1, 2


@dataclass(frozen=True)
class RouteRT:
    """How a stage's requests are spread over its clients."""

    policy: str = "round_robin"  # round_robin|least_loaded|heavy_light|by_model|random
    measure: str = "queued_tokens"  # queued_tokens|kv|tokens_left|requests
    threshold: float = 2048.0  # heavy_light: prompts of at least this many tokens are heavy
    heavy: float = 0.5  # heavy_light: share of the clients that take heavy prompts
    seed: int = 0  # random


@dataclass(frozen=True)
class TierRT:
    """One level of a KV-cache hierarchy: hit rate given the level is reached."""

    name: str  # memory path
    hit: float
    lookup: float  # s
    bandwidth: float  # B/s


@dataclass
class StageRT:
    """A stage as the coordinator runs it.

    clients:       LLMClient (LLM kinds) or BatchServer (the others); none for ``kv_fetch``;
    devices:       per client, the device paths it runs on (where data is sent to / from);
    add_tokens:    ``ivfpq``: tokens the retrieved documents add to the prompt;
    keep_tokens:   ``rerank``: tokens of the retrieved documents kept after reranking;
    tiers, shared: ``kv_fetch``: the hierarchy, and whether the cache is one shared pool
                   (every fetch contends for the tier) or private per LLM client;
    kv_bytes_per_token: ``kv_fetch``: bytes per cached token of the model;
    span:          the IR span, for errors.
    """

    name: str
    kind: str
    clients: list[Any] = field(default_factory=list)
    devices: list[tuple[str, ...]] = field(default_factory=list)
    route: RouteRT = field(default_factory=RouteRT)
    add_tokens: int = 0
    keep_tokens: int = 0
    tiers: tuple[TierRT, ...] = ()
    shared: bool = False
    kv_bytes_per_token: float = 0.0
    span: object = None


@dataclass(frozen=True)
class EdgeRT:
    source: int
    target: int
    kind: str = "next"  # next|fan|branch|loop
    fraction: float = 1.0
    max_times: int = 0


class Job:
    """A request's journey through the pipeline (alive while it is in flight)."""

    __slots__ = (
        "arrival",
        "bleft",
        "cached",
        "context_out",
        "first_token",
        "hash_ids",
        "id",
        "kbase",
        "kspan",
        "kv_bytes",
        "kv_client",
        "llm_done",
        "llm_first",
        "llm_out",
        "loops",
        "output",
        "pre",
        "prompt",
        "queue",
        "rag",
        "req",
        "src_dev",
        "status",
        "tier",
        "tokens",
        "waiting",
    )

    def __init__(self, id: int, arrival: float, prompt: int, output: int) -> None:
        self.id = id
        self.arrival = arrival
        self.prompt = prompt
        self.output = output
        self.hash_ids: tuple[int, ...] | None = None
        self.tokens = 0
        self.waiting: dict[int, int] | None = None
        self.loops: dict[int, int] | None = None
        self.pre: dict[int, int] | None = None  # LLM stage -> client chosen ahead (KV fetch)
        self.rag = 0  # tokens of retrieved documents in the context
        self.context_out = 0  # outputs of earlier LLM visits (loops)
        self.cached = 0  # prompt tokens whose KV was fetched
        self.tier = -1  # tier that served the fetch (-1: none, len(tiers): miss)
        self.src_dev = ""  # where retrieved documents wait to move to the LLM
        self.req: LLMRequest | None = None
        self.kv_bytes = 0.0
        self.kv_client = (-1, -1)
        self.kbase = -1  # first of the integers keying this job's prompt blocks (-1: none yet)
        self.kspan = 0
        self.bleft = 0
        self.queue = 0.0
        self.status = IN_FLIGHT
        self.first_token = math.nan
        self.llm_first = math.nan
        self.llm_done = math.nan
        self.llm_out = 0


class LLMRequest(Request):
    """One LLM visit of a job (or one parallel reasoning branch of it)."""

    __slots__ = ("counted", "enq", "job", "leader", "qt", "ready", "tl")

    def __init__(self, job: Job, prompt: int, output: int) -> None:
        super().__init__(id=job.id, arrival=job.arrival, prompt=prompt, output=output)
        self.job = job
        self.leader = True
        self.enq = 0.0
        self.ready = 0.0
        self.qt = 0  # prompt tokens counted in the client's queued-tokens load
        self.tl = 0  # output tokens counted in the client's tokens-left load
        self.counted = False  # counted in the client's held-requests load


class Coordinator:
    """Runs requests through stages and edges; collects per-request and per-stage columns.

    stages, edges:  the pipeline (stage indices in ``edges``);
    fabric:         shared bandwidths (links, tiers);
    path:           ``path(a, b)`` -> (resources, latency) between two devices / a memory and a
                    device; None when nothing needs to move between devices;
    branches:       parallel reasoning branches per request (1: none);
    block_size:     KV block size used to key shared prompt blocks (parallel reasoning);
    seed:           seeds the branch and tier draws.
    """

    def __init__(
        self,
        loop: EventLoop,
        stages: Sequence[StageRT],
        edges: Sequence[EdgeRT],
        *,
        fabric: Fabric | None = None,
        path: PathFn | None = None,
        branches: int = 1,
        seed: int = 0,
        startup: float = 0.0,
        progress: Callable[[float, int, int], None] | None = None,
    ) -> None:
        self.loop = loop
        self.stages = list(stages)
        self.edges = list(edges)
        self.fabric = fabric if fabric is not None else Fabric(loop)
        self.path = path
        self.branches = max(int(branches), 1)
        self.startup = startup
        self.progress = progress
        ss = np.random.SeedSequence(seed)
        s1, s2 = (int(x) for x in ss.generate_state(2))
        self._rng_branch = random.Random(s1)
        self._rng_tier = random.Random(s2)
        n = len(self.stages)
        self.n_in = [0] * n
        self.out_loop: list[list[tuple[int, EdgeRT]]] = [[] for _ in range(n)]
        self.out_branch: list[list[EdgeRT]] = [[] for _ in range(n)]
        self.out_all: list[list[int]] = [[] for _ in range(n)]
        for i, e in enumerate(self.edges):
            if e.kind == "loop":
                self.out_loop[e.source].append((i, e))
                continue
            self.n_in[e.target] += 1
            if e.kind == "branch":
                self.out_branch[e.source].append(e)
            else:
                self.out_all[e.source].append(e.target)
        self.entries = [i for i in range(n) if self.n_in[i] == 0]
        if not self.entries:
            raise ValueError("the pipeline has no entry stage (every stage has an incoming edge)")
        self._llm_after = [self._first_llm_after(i) for i in range(n)]
        # Routing state per stage.
        self._rr = [0] * n
        self._rand = [random.Random(s.route.seed) for s in self.stages]
        self._qtok = [[0] * max(len(s.clients), 1) for s in self.stages]
        self._tleft = [[0] * max(len(s.clients), 1) for s in self.stages]
        self._held = [[0] * max(len(s.clients), 1) for s in self.stages]
        self._heavy = [self._heavy_split(s) for s in self.stages]
        for si, s in enumerate(self.stages):
            for ci, c in enumerate(s.clients):
                self._wire(si, ci, c)
        # Results.
        self.total = 0
        self.done = 0
        self._next_mark = 0
        self._mark_step = 1
        self._jobs_cap = 0
        self._init_columns(0)
        self._v_job = array("q")
        self._v_stage = array("q")
        self._v_client = array("q")
        self._v_enq = array("d")
        self._v_ready = array("d")
        self._v_start = array("d")
        self._v_end = array("d")
        self.reasons: list[str] = [""]
        self._reason_index: dict[str, int] = {"": 0}
        self.live: dict[int, Job] = {}
        self._kcounter = 0  # next free integer for jobs' prompt-block keys

    # -- set-up ---------------------------------------------------------------------------
    def _first_llm_after(self, s: int) -> int:
        """The first LLM stage reachable downstream of ``s`` (``s`` excluded), or -1."""
        seen = {s}
        frontier = [s]
        while frontier:
            nxt = []
            for u in frontier:
                targets = self.out_all[u] + [e.target for e in self.out_branch[u]]
                for t in targets:
                    if t in seen:
                        continue
                    if self.stages[t].kind in LLM_KINDS:
                        return t
                    seen.add(t)
                    nxt.append(t)
            frontier = nxt
        return -1

    @staticmethod
    def _heavy_split(s: StageRT) -> tuple[list[int], list[int]]:
        n = len(s.clients)
        if s.route.policy != "heavy_light" or n < 2:
            return list(range(n)), list(range(n))
        k = min(max(round(s.route.heavy * n), 1), n - 1)
        return list(range(k)), list(range(k, n))

    def _wire(self, si: int, ci: int, c: Any) -> None:
        loop = self.loop
        if isinstance(c, LLMClient):
            c.attach(
                loop,
                on_finish=lambda now, r, si=si, ci=ci: self._llm_finish(now, r, si, ci),
                on_reject=lambda now, r, why, si=si, ci=ci: self._llm_reject(now, r, why, si, ci),
                on_handoff=(
                    (lambda now, r, b, si=si, ci=ci: self._llm_handoff(now, r, b, si, ci))
                    if c.role == "prefill"
                    else None
                ),
                on_first_token=lambda now, r, si=si, ci=ci: self._llm_first(now, r, si, ci),
            )
        else:
            c.attach(
                loop,
                on_done=lambda now, item, si=si, ci=ci: self._server_done(now, item, si, ci),
                on_start=_mark_start,
            )

    def _init_columns(self, n: int) -> None:
        n = max(n, 1)
        self._jobs_cap = n
        self.c_arrival = np.full(n, np.nan)
        self.c_prompt = np.zeros(n, dtype=np.int64)
        self.c_context = np.zeros(n, dtype=np.int64)
        self.c_output = np.zeros(n, dtype=np.int64)
        self.c_first = np.full(n, np.nan)
        self.c_llm_first = np.full(n, np.nan)
        self.c_llm_done = np.full(n, np.nan)
        self.c_llm_out = np.zeros(n, dtype=np.int64)
        self.c_completion = np.full(n, np.nan)
        self.c_left = np.full(n, np.nan)
        self.c_queue = np.zeros(n)
        self.c_status = np.zeros(n, dtype=np.int8)
        self.c_reason = np.zeros(n, dtype=np.int32)
        self.c_tier = np.full(n, -1, dtype=np.int32)
        self.c_preempt = np.zeros(n, dtype=np.int64)

    # -- arrivals -------------------------------------------------------------------------
    def start(self, requests: RequestSet) -> None:
        """Schedule the arrivals of ``requests`` (ids 0..n-1)."""
        n = len(requests)
        self.total = n
        self._init_columns(n)
        self._mark_step = max(n // 100, 1)
        self._next_mark = self._mark_step
        self._rs = requests
        self._chunk_base = 0
        self._arr: list[float] = []
        self._pr: list[int] = []
        self._out: list[int] = []
        if n:
            self._load(0)
            self.loop.schedule(self._arr[0], self._arrive, 0)

    def _load(self, base: int) -> None:
        rs = self._rs
        end = base + 4096
        self._chunk_base = base
        self._arr = rs.arrival[base:end].tolist()
        self._pr = rs.prompt[base:end].tolist()
        self._out = rs.output[base:end].tolist()

    def _arrive(self, now: float, i: int) -> None:
        rs = self._rs
        n = len(rs)
        hashes = rs.hash_ids
        batch: list[Job] = []
        while True:
            j = i - self._chunk_base
            job = Job(i, now, self._pr[j], self._out[j])
            if hashes is not None:
                job.hash_ids = hashes[i]
            batch.append(job)
            i += 1
            if i >= n:
                break
            if i - self._chunk_base >= len(self._arr):
                self._load(i)
            t = self._arr[i - self._chunk_base]
            if t != now:
                self.loop.schedule(t, self._arrive, i)
                break
        for job in batch:
            k = job.id
            self.c_arrival[k] = job.arrival
            self.c_prompt[k] = job.prompt
            self.c_output[k] = job.output
            self.live[k] = job
            job.tokens = len(self.entries)
            for s in self.entries:
                self._enter(now, job, s)

    # -- moving between stages ------------------------------------------------------------
    def _enter(self, now: float, job: Job, s: int) -> None:
        if job.status:
            return
        if self.n_in[s] > 1 and job.tokens > 1:
            w = job.waiting
            if w is None:
                w = job.waiting = {}
            c = w.get(s, 0) + 1
            if c < job.tokens:
                w[s] = c
                if sum(w.values()) >= job.tokens:
                    # Every live branch waits, at different joins: let each join go on.
                    self._release_all(now, job)
                return
            w.pop(s, None)
            job.tokens -= c - 1
        self._pass_join(now, job, s)

    def _leave(self, now: float, job: Job, s: int) -> None:
        if job.status:
            return
        for idx, e in self.out_loop[s]:
            loops = job.loops
            if loops is None:
                loops = job.loops = {}
            taken = loops.get(idx, 0)
            if taken < e.max_times and (
                e.fraction >= 1.0 or self._rng_branch.random() < e.fraction
            ):
                loops[idx] = taken + 1
                self._enter(now, job, e.target)
                return
        targets = self.out_all[s]
        branch = self.out_branch[s]
        if branch:
            total = sum(e.fraction for e in branch)
            x = self._rng_branch.random() * total
            pick = branch[-1].target
            acc = 0.0
            for e in branch:
                acc += e.fraction
                if x < acc:
                    pick = e.target
                    break
            targets = [*targets, pick]
        if not targets:
            job.tokens -= 1
            if job.tokens <= 0:
                self._complete(now, job)
            elif job.waiting:
                self._release_joins(now, job)
            return
        job.tokens += len(targets) - 1
        for t in targets:
            self._enter(now, job, t)

    def _release_joins(self, now: float, job: Job) -> None:
        """A branch left the pipeline: a join now waiting for every live branch goes on."""
        w = job.waiting
        for s, c in list(w.items()):
            if c >= job.tokens:
                del w[s]
                job.tokens -= c - 1
                self._pass_join(now, job, s)
                return
        if sum(w.values()) >= job.tokens:
            self._release_all(now, job)

    def _release_all(self, now: float, job: Job) -> None:
        w = job.waiting
        job.waiting = None
        for c in w.values():
            job.tokens -= c - 1
        for s in list(w):
            self._pass_join(now, job, s)

    def _pass_join(self, now: float, job: Job, s: int) -> None:
        """Run stage ``s`` for one merged token, past the join check."""
        if job.status:
            return
        kind = self.stages[s].kind
        if kind in SERVER_KINDS:
            ci = self._pick(s, job)
            self.stages[s].clients[ci].submit(now, [job, s, ci, now, now, now])
        elif kind == "kv_fetch":
            self._kv_fetch(now, job, s)
        else:
            self._llm_enter(now, job, s)

    # -- routing --------------------------------------------------------------------------
    def _pick(self, s: int, job: Job) -> int:
        st = self.stages[s]
        clients = st.clients
        n = len(clients)
        if n <= 1:
            return 0
        pol = st.route.policy
        if pol == "round_robin":
            i = self._rr[s]
            self._rr[s] = (i + 1) % n
            return i
        if pol == "random":
            return self._rand[s].randrange(n)
        if pol == "heavy_light":
            heavy, light = self._heavy[s]
            context = job.prompt + job.rag + job.context_out
            group = heavy if context >= st.route.threshold else light
            return self._least(s, st, group, "queued_tokens")
        measure = "requests" if pol == "by_model" else st.route.measure
        return self._least(s, st, range(n), measure)

    def _least(self, s: int, st: StageRT, group: Sequence[int] | range, measure: str) -> int:
        clients = st.clients
        best = -1
        best_v = math.inf
        if st.kind not in LLM_KINDS:
            for i in group:
                v = clients[i].load
                if v < best_v:
                    best_v, best = v, i
            return best
        if measure == "requests":
            q = self._held[s]
            for i in group:
                v = q[i]
                if v < best_v:
                    best_v, best = v, i
            return best
        if measure == "queued_tokens":
            q = self._qtok[s]
            for i in group:
                v = q[i]
                if v < best_v:
                    best_v, best = v, i
            return best
        if measure == "tokens_left":
            q = self._tleft[s]
            for i in group:
                v = q[i]
                if v < best_v:
                    best_v, best = v, i
            return best
        # kv: blocks in use plus the blocks the queued prompts will take, as a fraction.
        q = self._qtok[s]
        for i in group:
            kv = clients[i].kv
            v = (kv.used + q[i] / kv.block_size) / kv.num_blocks
            if v < best_v:
                best_v, best = v, i
        return best

    # -- non-LLM stages -------------------------------------------------------------------
    def _server_done(self, now: float, item: list[Any], s: int, ci: int) -> None:
        job = item[0]
        self._row(job, s, ci, item[3], item[4], item[5], now)
        if job.status:
            return
        st = self.stages[s]
        if st.kind == "ivfpq":
            job.rag += st.add_tokens
            job.src_dev = st.devices[ci][0] if st.devices else ""
        elif st.kind == "rerank":
            if job.rag > st.keep_tokens:
                job.rag = st.keep_tokens
            job.src_dev = st.devices[ci][0] if st.devices else ""
        self._leave(now, job, s)

    def _kv_fetch(self, now: float, job: Job, s: int) -> None:
        st = self.stages[s]
        # Where the cache goes: the next LLM stage's client, chosen now and kept.
        dest_stage = self._llm_after[s]
        dest_client = -1
        dest_dev = ""
        if dest_stage >= 0:
            dest_client = self._pick(dest_stage, job)
            if job.pre is None:
                job.pre = {}
            qt = job.prompt + job.rag + job.context_out
            self._reserve(dest_stage, dest_client, qt, job.output)
            job.pre[dest_stage] = (dest_client, qt, job.output)
            devs = self.stages[dest_stage].devices
            if devs:
                dest_dev = devs[dest_client][0]
        tiers = st.tiers
        rng = self._rng_tier
        served = len(tiers)
        for k, tier in enumerate(tiers):
            if tier.hit >= 1.0 or (tier.hit > 0.0 and rng.random() < tier.hit):
                served = k
                break
        job.tier = served
        if served == len(tiers):
            job.cached = 0
            self._row(job, s, max(dest_client, 0), now, now, now, now)
            self._leave(now, job, s)
            return
        tier = tiers[served]
        tokens = job.prompt
        nbytes = tokens * st.kv_bytes_per_token
        domain = tier.name if st.shared or dest_client < 0 else (tier.name, dest_stage, dest_client)
        label = tier.name if st.shared or dest_client < 0 else f"{tier.name}@{dest_client}"
        res = [self.fabric.resource(("tier", domain), label, tier.bandwidth, "memory")]
        latency = 0.0
        if self.path is not None and dest_dev:
            links, latency = self.path(tier.name, dest_dev)
            res.extend(links)
        self.fabric.transfer(
            now,
            nbytes,
            res,
            tier.lookup + latency,
            self._kv_fetched,
            job,
            s,
            max(dest_client, 0),
            tokens,
            now,
        )

    def _kv_fetched(self, now: float, job: Job, s: int, ci: int, tokens: int, t0: float) -> None:
        if job.status:
            return
        job.cached = tokens
        # A tier has no queue: a fetch starts when asked, and contention slows its transfer.
        self._row(job, s, ci, t0, t0, t0, now)
        self._leave(now, job, s)

    # -- LLM stages -----------------------------------------------------------------------
    def _llm_enter(self, now: float, job: Job, s: int) -> None:
        st = self.stages[s]
        reserved = job.pre.pop(s, None) if job.pre is not None else None
        if reserved is None:
            ci = self._pick(s, job)
            if st.kind == "decode":
                r = job.req
                qt, tl = 0, (r.output - r.generated if r is not None else 0)
            else:
                qt, tl = job.prompt + job.rag + job.context_out, job.output
            self._reserve(s, ci, qt, tl)
        else:
            ci, qt, tl = reserved
        dst = st.devices[ci] if st.devices else ()
        if st.kind == "decode":
            r = job.req
            if r is not None:
                r.qt, r.tl, r.counted = qt, tl, True
            if r is None or r.generated >= r.output:
                if r is not None:
                    self._count_out(s, ci, r)
                # Nothing left to decode (no prefill before, or a one-token output).
                if r is None:
                    self._reject(now, job, f"stage {st.name!r} decodes, but no prefill ran before")
                    return
                self._row(job, s, ci, now, now, now, now)
                self._leave(now, job, s)
                return
            src_stage, src_client = job.kv_client
            src_devs = self.stages[src_stage].devices
            src = src_devs[src_client] if src_devs else ()
            self._move_kv(now, job, s, ci, job.kv_bytes, src, dst)
            return
        context = job.prompt + job.rag + job.context_out
        r = LLMRequest(job, context, job.output)
        r.qt, r.tl, r.counted = qt, tl, True
        r.enq = now
        job.req = r
        if job.hash_ids is not None:
            r.hash_ids = job.hash_ids
        if job.cached and not job.context_out:
            r.computed = min(job.cached, context - 1)
        job.cached = 0
        job.bleft = self.branches if st.kind == "generate" and r.output > 1 else 1
        if self.branches > 1:
            c = st.clients[ci]
            bs = c.kv.block_size
            r.hash_ids = ()
            r.keys = self._branch_keys(job, context // bs)
        if job.rag and job.src_dev and self.path is not None and dst:
            links, latency = self.path(job.src_dev, dst[0])
            nbytes = job.rag * TEXT_BYTES_PER_TOKEN
            job.src_dev = ""
            self.fabric.transfer(
                now, nbytes, links, self.startup + latency, self._llm_submit, r, s, ci
            )
            return
        self._llm_submit(now, r, s, ci)

    def _move_kv(
        self,
        now: float,
        job: Job,
        s: int,
        ci: int,
        nbytes: float,
        src: tuple[str, ...],
        dst: tuple[str, ...],
    ) -> None:
        """Move a prefilled KV cache to decode client ``ci``: one shard per device pair."""
        r = job.req
        r.enq = now
        k = min(len(src), len(dst))
        if k == 0 or self.path is None or nbytes <= 0:
            self._kv_arrived(now, r, s, ci, None)
            return
        counter = [k]
        for i in range(k):
            links, latency = self.path(src[i], dst[i])
            self.fabric.transfer(
                now,
                nbytes / k,
                links,
                self.startup + latency,
                self._kv_arrived,
                r,
                s,
                ci,
                counter,
            )

    def _kv_arrived(
        self, now: float, r: LLMRequest, s: int, ci: int, counter: list[int] | None
    ) -> None:
        if counter is not None:
            counter[0] -= 1
            if counter[0] > 0:
                return
        job = r.job
        if job.status:
            return
        first = r.first_token
        r.handed_off()
        job.bleft = self.branches
        client = self.stages[s].clients[ci]
        if self.branches > 1 and client.kv.prefix_caching:
            bs = client.kv.block_size
            r.keys = self._branch_keys(job, r.prompt // bs)
        self._llm_submit(now, r, s, ci)
        if self.branches > 1:
            for _ in range(self.branches - 1):
                self._submit_sibling(now, r, first, s, ci)

    def _submit_sibling(self, now: float, lead: LLMRequest, first: float, s: int, ci: int) -> None:
        b = LLMRequest(lead.job, lead.prompt, lead.output)
        b.leader = False
        b.handed_off()
        b.first_token = first
        b.keys = lead.keys
        b.enq = b.ready = now
        self._count_in(s, ci, b)
        self.stages[s].clients[ci].submit(now, b)

    def _branch_keys(self, job: Job, blocks: int) -> Sequence[object]:
        """Prefix keys of a job's prompt blocks, shared by its parallel reasoning branches.

        Block ``b`` of a job is always the same key, on every client and every visit (a loop
        back to a client finds the blocks it left there).  Each job reserves a run of integers
        the first time (twice its blocks; blocks past the run are ``(job id, b)`` tuples), so a
        cache holds nearly consecutive integers: cheap to hash, no collisions, and a range of
        them costs nothing to build.
        """
        base = job.kbase
        if base < 0:
            base = job.kbase = self._kcounter
            job.kspan = 2 * blocks + 64
            self._kcounter += job.kspan
        if blocks <= job.kspan:
            return range(base, base + blocks)
        span = job.kspan
        return [*range(base, base + span), *(("branch", job.id, b) for b in range(span, blocks))]

    def _reserve(self, s: int, ci: int, qt: int, tl: int) -> None:
        """Count a request in a client's load as soon as it is routed there."""
        self._qtok[s][ci] += qt
        self._tleft[s][ci] += tl
        self._held[s][ci] += 1

    def _count_in(self, s: int, ci: int, r: LLMRequest) -> None:
        qt = r.target - r.computed
        tl = r.output - r.generated
        r.qt, r.tl, r.counted = qt, tl, True
        self._reserve(s, ci, qt, tl)

    def _count_out(self, s: int, ci: int, r: LLMRequest) -> None:
        if r.qt:
            self._qtok[s][ci] -= r.qt
            r.qt = 0
        if r.tl:
            self._tleft[s][ci] -= r.tl
            r.tl = 0
        if r.counted:
            self._held[s][ci] -= 1
            r.counted = False

    def _llm_submit(self, now: float, r: LLMRequest, s: int, ci: int) -> None:
        if r.job.status:
            self._count_out(s, ci, r)
            return
        r.ready = now
        # The prompt work known now (a fetched KV cache shortens it).
        qt = r.target - r.computed
        if qt != r.qt:
            self._qtok[s][ci] += qt - r.qt
            r.qt = qt
        self.stages[s].clients[ci].submit(now, r)

    def _llm_first(self, now: float, r: LLMRequest, s: int, ci: int) -> None:
        if r.qt:
            self._qtok[s][ci] -= r.qt
            r.qt = 0
        job = r.job
        if job.first_token != job.first_token:
            job.first_token = now
        if self.branches > 1 and r.leader and self.stages[s].kind == "generate" and r.output > 1:
            for _ in range(self.branches - 1):
                self._submit_sibling(now, r, now, s, ci)

    def _llm_finish(self, now: float, r: LLMRequest, s: int, ci: int) -> None:
        self._count_out(s, ci, r)
        job = r.job
        if job.status:
            return
        job.bleft -= 1
        if r.preemptions:
            self.c_preempt[job.id] += r.preemptions
        if job.bleft > 0:
            return
        lead = job.req if job.req is not None else r
        job.llm_first = lead.first_token
        job.llm_done = now
        job.llm_out = lead.output
        job.context_out += lead.output
        self.c_context[job.id] = lead.prompt
        self._row(job, s, ci, lead.enq, lead.ready, lead.scheduled, now)
        if self.stages[s].kind != "prefill":
            job.req = None  # a finished prefill stays, so a decode stage after it passes
        self._leave(now, job, s)

    def _llm_handoff(self, now: float, r: LLMRequest, kv_bytes: float, s: int, ci: int) -> None:
        self._count_out(s, ci, r)
        job = r.job
        if job.status:
            return
        if r.preemptions:
            self.c_preempt[job.id] += r.preemptions
            r.preemptions = 0
        self.c_context[job.id] = r.prompt
        self._row(job, s, ci, r.enq, r.ready, r.scheduled, now)
        job.req = r
        job.kv_bytes = kv_bytes
        job.kv_client = (s, ci)
        self._leave(now, job, s)

    def _llm_reject(self, now: float, r: LLMRequest, why: str, s: int, ci: int) -> None:
        self._count_out(s, ci, r)
        job = r.job
        if job.status:
            return
        self._reject(now, job, f"stage {self.stages[s].name!r}: {why}")

    # -- bookkeeping ----------------------------------------------------------------------
    def _row(
        self, job: Job, s: int, ci: int, enq: float, ready: float, start: float, end: float
    ) -> None:
        self._v_job.append(job.id)
        self._v_stage.append(s)
        self._v_client.append(ci)
        self._v_enq.append(enq)
        self._v_ready.append(ready)
        self._v_start.append(start)
        self._v_end.append(end)
        if start == start:
            job.queue += start - ready

    def _finish_job(self, now: float, job: Job) -> None:
        k = job.id
        self.c_first[k] = job.first_token
        self.c_llm_first[k] = job.llm_first
        self.c_llm_done[k] = job.llm_done
        self.c_llm_out[k] = job.llm_out
        self.c_queue[k] = job.queue
        self.c_tier[k] = job.tier
        self.c_left[k] = now
        self.live.pop(k, None)
        self.done += 1
        if self.done >= self._next_mark:
            self._next_mark += self._mark_step
            if self.progress is not None:
                self.progress(now, self.done, self.total)
        if self.done >= self.total:
            self.loop.stop()

    def _complete(self, now: float, job: Job) -> None:
        job.status = COMPLETED
        self.c_status[job.id] = COMPLETED
        self.c_completion[job.id] = now
        self._finish_job(now, job)

    def _reject(self, now: float, job: Job, reason: str) -> None:
        job.status = REJECTED
        code = self._reason_index.get(reason)
        if code is None:
            code = len(self.reasons)
            self.reasons.append(reason)
            self._reason_index[reason] = code
        self.c_status[job.id] = REJECTED
        self.c_reason[job.id] = code
        self._finish_job(now, job)

    def run(self) -> str:
        reason = self.loop.run()
        if self.done >= self.total and reason == StopReason.STOPPED:
            reason = StopReason.DRAINED
        # Requests still in flight keep what is known of them.
        for job in self.live.values():
            k = job.id
            self.c_first[k] = job.first_token
            self.c_queue[k] = job.queue
            self.c_tier[k] = job.tier
        return reason

    def stage_columns(self) -> dict[str, np.ndarray]:
        return {
            "request": np.frombuffer(self._v_job, dtype=np.int64).copy(),
            "stage": np.frombuffer(self._v_stage, dtype=np.int64).copy(),
            "client": np.frombuffer(self._v_client, dtype=np.int64).copy(),
            "enqueue": np.frombuffer(self._v_enq, dtype=np.float64).copy(),
            "ready": np.frombuffer(self._v_ready, dtype=np.float64).copy(),
            "start": np.frombuffer(self._v_start, dtype=np.float64).copy(),
            "end": np.frombuffer(self._v_end, dtype=np.float64).copy(),
        }


def _mark_start(now: float, item: list[Any]) -> None:
    item[5] = now
