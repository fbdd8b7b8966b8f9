"""One LLM serving instance, advanced iteration by iteration.

Why iterations and not tokens: an LLM engine runs a forward pass over a batch (some prompt
chunks, one token of each running decode); everything observable (first tokens, completions,
KV growth, preemption) happens at iteration boundaries.  The client forms each iteration with
its :class:`~hermes_dsl.sim.batching.BatchingPolicy`, asks the cost model how long it takes and
schedules its end on the event loop.

Fast-forward: when an iteration holds only decodes and nothing could change for a while (no
prompt could be admitted, no KV shortage, no request finishing, no other event pending on the
loop) the following iterations are folded into one event.  Their durations are still computed
one per iteration and added in the same order, so every number equals what stepping gives;
``fast_forward=False`` steps one iteration per event (the tests compare both).

Plugging in: a coordinator (or :func:`hermes_dsl.sim.run.simulate`) calls :meth:`submit`; the
client reports through the callbacks given to :meth:`attach`.  A ``role="prefill"`` client hands
a request on once its first token exists (with the KV bytes to move); a ``role="decode"`` client
accepts requests whose prompt KV arrives with them (:meth:`Request.handed_off`).
"""

from __future__ import annotations

import math
from array import array
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from hermes_dsl.sim.batching import BatchingPolicy, continuous, make_queue
from hermes_dsl.sim.costs import IterationCost
from hermes_dsl.sim.kv import KVCache, prefix_block_keys
from hermes_dsl.sim.loop import EventLoop
from hermes_dsl.sim.request import DONE, RUNNING, SWAPPED, WAITING, Request

__all__ = ["ClientStats", "LLMClient", "SimulationStalled"]

ROLES = ("both", "prefill", "decode")
PREEMPTION = ("recompute", "swap")

FinishFn = Callable[[float, Request], None]
RejectFn = Callable[[float, Request, str], None]
HandoffFn = Callable[[float, Request, float], None]
FirstTokenFn = Callable[[float, Request], None]


class SimulationStalled(RuntimeError):
    """A client has work it can never start (e.g. a KV cache too small for the next request)."""


@dataclass(frozen=True)
class ClientStats:
    """What one client did over a run.  Times in seconds, energy in joules."""

    name: str
    busy_time: float
    end_time: float
    utilisation: float
    energy: float
    iterations: int
    prefill_tokens: int
    decode_tokens: int
    preemptions: int
    swaps: int
    prefix_hit_tokens: int
    kv_blocks: int
    kv_peak_blocks: int
    series_time: np.ndarray  # times at which batch size or queue length changed
    series_batch: np.ndarray  # requests in the iteration that started then (0 when idle)
    series_queue: np.ndarray  # requests waiting at that time


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


class LLMClient:
    """One model replica serving one LLM stage.

    name:               label used in results and errors;
    cost:               an :class:`~hermes_dsl.sim.costs.IterationCost` (seconds per iteration);
    kv:                 its paged :class:`~hermes_dsl.sim.kv.KVCache`;
    policy:             batching policy (default: vLLM-like continuous batching);
    role:               ``both`` (co-located), ``prefill`` or ``decode`` (disaggregated);
    kv_bytes_per_token: bytes of K and V per token (swap cost, hand-off size);
    preemption:         ``recompute`` (vLLM's default) or ``swap`` (to host memory);
    host_bandwidth:     B/s between device and host memory, needed by ``swap``;
    host_capacity:      bytes of host memory for swapped KV (default unlimited; when full,
                        preemption falls back to recompute);
    busy_power, idle_power: W drawn while running an iteration / while idle;
    hash_block_size:    tokens per prefix hash in the requests' ``hash_ids`` (Mooncake: 512);
    fast_forward:       fold stable decode stretches into one event (same results).
    """

    def __init__(
        self,
        *,
        name: str,
        cost: IterationCost,
        kv: KVCache,
        policy: BatchingPolicy | None = None,
        role: str = "both",
        kv_bytes_per_token: float = 0.0,
        preemption: str = "recompute",
        host_bandwidth: float | None = None,
        host_capacity: float = math.inf,
        busy_power: float = 0.0,
        idle_power: float = 0.0,
        hash_block_size: int = 512,
        fast_forward: bool = True,
    ) -> None:
        if role not in ROLES:
            raise ValueError(f"unknown client role {role!r}; expected one of {ROLES}")
        if preemption not in PREEMPTION:
            raise ValueError(f"unknown preemption {preemption!r}; expected one of {PREEMPTION}")
        if preemption == "swap" and not (host_bandwidth and host_bandwidth > 0):
            raise ValueError("swap preemption needs a positive host_bandwidth (B/s)")
        if preemption == "swap" and kv_bytes_per_token <= 0:
            raise ValueError("swap preemption needs kv_bytes_per_token to cost the transfer")
        self.name = name
        self.cost = cost
        self.kv = kv
        self.policy = policy if policy is not None else continuous()
        self.role = role
        self.kv_bytes_per_token = float(kv_bytes_per_token)
        self.preemption = preemption
        self.host_bandwidth = float(host_bandwidth) if host_bandwidth else 0.0
        self.host_capacity = float(host_capacity)
        self.busy_power = float(busy_power)
        self.idle_power = float(idle_power)
        self.hash_block_size = int(hash_block_size)
        self.fast_forward = bool(fast_forward)
        self._static = self.policy.kind == "static"
        self._vector_cost = getattr(cost, "decode_iteration_times", None)

        self.waiting = make_queue(self.policy.packing)
        self.running: list[Request] = []
        self.swapped: deque[Request] = deque()
        self._decodes: list[Request] = []
        self._pre_r: list[Request] = []
        self._pre_c: list[int] = []

        self.loop: EventLoop | None = None
        self._on_finish: FinishFn | None = None
        self._on_reject: RejectFn | None = None
        self._on_handoff: HandoffFn | None = None
        self._on_first: FirstTokenFn | None = None
        # Iteration log for timelines (start, end, batch size, iterations folded), capped.
        self.trace_limit = 0
        self._tr_s = array("d")
        self._tr_e = array("d")
        self._tr_n = array("q")
        self._tr_k = array("q")

        self._busy = False
        self._kicked = False
        self._k = 1
        self._it_start = 0.0
        self._it_dur = 0.0
        self._it_nd = 0
        self._it_ctx = 0
        self._busy_before = 0.0
        self._busy_after = 0.0
        self._host_used = 0.0
        self.busy_time = 0.0
        self.iterations = 0
        self.prefill_tokens = 0
        self.decode_tokens = 0
        self.preemptions = 0
        self.swaps = 0
        self.prefix_hit_tokens = 0
        self._last_batch = -1
        self._last_queue = -1
        self._s_t = array("d")
        self._s_b = array("q")
        self._s_q = array("q")

    # -- wiring ---------------------------------------------------------------------------
    def attach(
        self,
        loop: EventLoop,
        *,
        on_finish: FinishFn,
        on_reject: RejectFn,
        on_handoff: HandoffFn | None = None,
        on_first_token: FirstTokenFn | None = None,
    ) -> None:
        """Bind to an event loop and to the callbacks that receive requests leaving this client.

        on_finish(now, request):            the request generated its last token here;
        on_reject(now, request, reason):    the request can never be served here, and why;
        on_handoff(now, request, kv_bytes): (``role="prefill"``) its prompt is prefilled and
                                            ``kv_bytes`` of KV must move to a decode client;
        on_first_token(now, request):       (optional) the request's first token exists (called
                                            before it finishes or is handed off).
        """
        if self.role == "prefill" and on_handoff is None:
            raise ValueError(f"prefill-only client {self.name!r} needs an on_handoff callback")
        self.loop = loop
        self._on_finish = on_finish
        self._on_reject = on_reject
        self._on_handoff = on_handoff
        self._on_first = on_first_token

    @property
    def queue_length(self) -> int:
        return len(self.waiting)

    @property
    def load(self) -> int:
        """Requests held (waiting, running or swapped): a router's cheapest load signal."""
        return len(self.waiting) + len(self.running) + len(self.swapped)

    # -- entry ----------------------------------------------------------------------------
    def submit(self, now: float, r: Request) -> None:
        """Accept a request at time ``now`` (or reject it at once, with a reason)."""
        reason = self._reject_reason(r)
        if reason is not None:
            r.state = DONE
            self._on_reject(now, r, reason)
            return
        r.state = WAITING
        r.scheduled = math.nan
        self.waiting.push(r)
        self._record(now, self._last_batch if self._busy else 0)
        if not self._busy and not self._kicked:
            # Start on an event at the same time, so requests arriving together batch together.
            self._kicked = True
            self.loop.schedule(now, self._kick)

    def _reject_reason(self, r: Request) -> str | None:
        kv = self.kv
        bs = kv.block_size
        p, n = r.prompt, r.output
        if p < 1:
            return "empty prompt (0 tokens)"
        if n < 1:
            return "no output tokens requested"
        if self.role == "decode" and r.computed != r.target:
            return "decode-only client received a request whose prompt was not prefilled"
        if self.role == "prefill":
            tokens = p
        else:
            tokens = max(p + n - 1, r.computed + 1)
        need = _ceil_div(tokens, bs)
        if need > kv.num_blocks:
            return (
                f"needs {need} KV blocks ({tokens} tokens at {bs} per block) but the whole "
                f"cache of client {self.name!r} has {kv.num_blocks}"
            )
        pol = self.policy
        if not pol.chunking and r.target - r.computed > pol.token_budget:
            return (
                f"prompt of {r.target - r.computed} tokens exceeds max_batched_tokens="
                f"{pol.max_batched_tokens} and the policy does not chunk prefills"
            )
        return None

    def _kick(self, now: float) -> None:
        self._kicked = False
        if not self._busy:
            self._step(now)

    # -- forming an iteration ---------------------------------------------------------------
    def _step(self, now: float) -> None:
        kv = self.kv
        bs = kv.block_size
        running = self.running
        waiting = self.waiting
        swapped = self.swapped
        pol = self.policy
        max_batch = pol.max_batch
        budget = pol.token_budget
        decodes = self._decodes
        pre_r = self._pre_r
        pre_c = self._pre_c
        decodes.clear()
        pre_r.clear()
        pre_c.clear()
        ctx = 0
        extra = 0.0
        changed = False

        # 1. Running decodes, each one token; allocate a block when the last one is full and
        #    preempt from the back of the batch when none is left (vLLM).
        #    (A list iterator stops at the current length, so preempting from the back while
        #    iterating ends the loop as soon as the victim was the next one to visit.)
        add = decodes.append
        for r in running:
            c = r.computed
            if c < r.target:
                continue
            if c >= r.blocks * bs:
                while kv.available < 1:
                    victim = running.pop()
                    extra += self._preempt(victim)
                    changed = True
                    if victim is r:
                        break
                if r.state != RUNNING:
                    break
                kv.take(1)
                r.blocks += 1
            add(r)
            ctx += c + 1
        tokens = len(decodes)

        # 2. Prefills in progress (chunked prefill only), in admission order.
        if pol.chunking and len(running) > tokens:
            for r in running:
                if r.computed < r.target:
                    left = budget - tokens
                    if left <= 0:
                        break
                    c = r.target - r.computed
                    if c > left:
                        c = left
                    pre_r.append(r)
                    pre_c.append(c)
                    tokens += c

        # 3. Swapped requests come back before anything new is admitted.
        wm = kv.watermark_blocks
        while swapped and len(running) < max_batch:
            r = swapped[0]
            need = r.swapped_blocks
            if r.computed >= need * bs:
                need += 1
            if kv.available - need < wm:
                break
            swapped.popleft()
            kv.take(need)
            r.blocks = need
            moved = r.swapped_blocks * bs * self.kv_bytes_per_token
            self._host_used -= moved
            extra += moved / self.host_bandwidth
            r.swapped_blocks = 0
            r.state = RUNNING
            running.append(r)
            decodes.append(r)
            ctx += r.computed + 1
            tokens += 1
            changed = True

        # 4. Admission from the waiting queue, in packing order, until the first misfit.
        if not swapped and not (self._static and running):
            prefix = kv.prefix_caching
            # The watermark keeps room for running requests to grow; with none running it
            # would only block a request the cache can hold.
            if not running:
                wm = 0
            while len(waiting) and len(running) < max_batch:
                r = waiting.peek()
                hits = None
                hc = 0
                arrived = False
                if prefix and r.hash_ids is not None and r.computed == 0:
                    if r.keys is None:
                        r.keys = prefix_block_keys(r.hash_ids, self.hash_block_size, bs, r.prompt)
                    hits = kv.match(r.keys)
                    hc = len(hits)
                    if hc * bs >= r.target:  # keep one token to compute (vLLM)
                        hc = (r.target - 1) // bs
                        del hits[hc:]
                elif prefix and r.keys is not None and r.computed == r.target and not r.registered:
                    # KV that arrived with the request (a hand-off, or a parallel branch):
                    # blocks already cached under its keys are shared, not allocated again.
                    arrived = True
                    hits = kv.match(r.keys)
                    hc = len(hits)
                start = hc * bs if hc and not arrived else r.computed
                rem = r.target - start
                if rem == 0:
                    tok = 1
                    total = _ceil_div(r.computed + 1, bs)
                elif pol.chunking:
                    tok = budget - tokens
                    if tok <= 0:
                        break
                    if tok > rem:
                        tok = rem
                    total = _ceil_div(r.target, bs)
                else:
                    tok = rem
                    # Over budget only when the iteration would otherwise be empty (a recompute
                    # may have grown a prompt past the budget; it must still make progress).
                    if tokens + tok > budget and tokens > 0:
                        break
                    total = _ceil_div(r.target, bs)
                new = total - hc
                taken_lru = kv.unreferenced(hits) if hc else 0
                if kv.available - taken_lru - new < wm:
                    break
                waiting.pop()
                if prefix:
                    r.cached = hits if hits is not None else []
                    r.registered = hc
                    if arrived:
                        if hc:
                            kv.acquire(hits)
                            self.prefix_hit_tokens += hc * bs
                        keys = r.keys
                        kv.register_range(keys, hc, len(keys), r.cached)
                        r.registered = len(keys)
                    elif hc:
                        kv.acquire(hits)
                        r.computed = start
                        self.prefix_hit_tokens += start
                kv.take(new)
                r.blocks = total
                r.state = RUNNING
                running.append(r)
                if r.scheduled != r.scheduled:  # NaN: first time in a batch here
                    r.scheduled = now
                if rem == 0:
                    decodes.append(r)
                    ctx += r.computed + 1
                else:
                    pre_r.append(r)
                    pre_c.append(tok)
                tokens += tok

        nd = len(decodes)
        npf = len(pre_r)
        if nd == 0 and npf == 0:
            self._busy = False
            self._record(now, 0)
            if running or len(waiting) or swapped:
                self._stalled()
            return

        pt = 0
        attn = 0.0
        for j in range(npf):
            c = pre_c[j]
            pt += c
            attn += c * (pre_r[j].computed + (c + 1) / 2)
        dur = self.cost.iteration_time(pt, attn, npf, nd, ctx) + extra
        self._record(now, nd + npf)
        self._busy = True
        self._it_start = now
        self._it_dur = dur
        self._it_nd = nd
        self._it_ctx = ctx
        self._busy_before = self.busy_time
        end = now + dur
        busy = self.busy_time + dur
        k = 1
        if npf == 0 and not changed and self.fast_forward:
            k_fin = min([r.output - r.generated for r in decodes])
            if k_fin > 1:
                t_next = self.loop.peek_time()
                if end < t_next:
                    k, end, busy = self._stretch(decodes, nd, ctx, dur, end, busy, k_fin, t_next)
        self._k = k
        self._busy_after = busy
        if len(self._tr_s) < self.trace_limit:
            self._tr_s.append(now)
            self._tr_e.append(end)
            self._tr_n.append(nd + npf)
            self._tr_k.append(k)
        self.loop.schedule(end, self._end)

    def _stretch(
        self,
        decodes: list[Request],
        nd: int,
        ctx: int,
        dur: float,
        end: float,
        busy: float,
        k_fin: int,
        t_next: float,
    ) -> tuple[int, float, float]:
        """Extend a pure-decode iteration over the following ones while nothing can change.

        Stops at the first iteration boundary at or after the next pending event, before the
        first iteration that would lack a KV block, and at the first request's last token.
        Returns (iterations, end time, busy time after them).
        """
        kv = self.kv
        bs = kv.block_size
        k_max = k_fin
        avail = kv.available
        if self._extra_blocks(decodes, k_max, bs) > avail:
            lo, hi = 1, k_max  # extra(lo) <= avail < extra(hi)
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if self._extra_blocks(decodes, mid, bs) <= avail:
                    lo = mid
                else:
                    hi = mid
            k_max = lo
        k = 1
        vec = self._vector_cost
        if vec is not None:
            while k < k_max and end < t_next:
                left = k_max - k
                if dur > 0 and t_next - end < left * dur:
                    count = min(left, max(int((t_next - end) / dur) + 2, 8))
                else:
                    count = left
                for d in vec(nd, ctx + k * nd, count).tolist():
                    end += d
                    busy += d
                    k += 1
                    if end >= t_next:
                        break
        else:
            it = self.cost.iteration_time
            while k < k_max and end < t_next:
                d = it(0, 0.0, 0, nd, ctx + k * nd)
                end += d
                busy += d
                k += 1
        if k > 1:
            extra = 0
            for r in decodes:
                e = _ceil_div(r.computed + k, bs) - r.blocks
                if e > 0:
                    r.blocks += e
                    extra += e
            if extra:
                kv.take(extra)
        return k, end, busy

    @staticmethod
    def _extra_blocks(decodes: list[Request], k: int, bs: int) -> int:
        """Blocks the decodes need beyond those held to run ``k`` iterations."""
        total = 0
        for r in decodes:
            e = -(-(r.computed + k) // bs) - r.blocks
            if e > 0:
                total += e
        return total

    # -- ending an iteration ----------------------------------------------------------------
    def _end(self, now: float) -> None:
        k = self._k
        self.busy_time = self._busy_after
        self.iterations += k
        decodes = self._decodes
        self.decode_tokens += k * len(decodes)
        finished = False
        for r in decodes:
            r.computed += k
            g = r.generated + k
            r.generated = g
            if g >= r.output:
                self._release(r)
                r.state = DONE
                finished = True
                self._on_finish(now, r)
        pre_r = self._pre_r
        if pre_r:
            pre_c = self._pre_c
            kv = self.kv
            prefix = kv.prefix_caching
            for j in range(len(pre_r)):
                r = pre_r[j]
                c = pre_c[j]
                r.computed += c
                self.prefill_tokens += c
                if prefix and r.keys is not None:
                    upto = min(r.computed, r.prompt) // kv.block_size
                    if upto > len(r.keys):
                        upto = len(r.keys)
                    if upto > r.registered:
                        kv.register_range(r.keys, r.registered, upto, r.cached)
                        r.registered = upto
                if r.computed == r.target:
                    r.generated += 1
                    if r.first_token != r.first_token:
                        r.first_token = now
                        if self._on_first is not None:
                            self._on_first(now, r)
                    if r.generated >= r.output:
                        self._release(r)
                        r.state = DONE
                        finished = True
                        self._on_finish(now, r)
                    elif self.role == "prefill":
                        self._release(r)
                        r.state = DONE
                        finished = True
                        self._on_handoff(now, r, r.computed * self.kv_bytes_per_token)
        if finished:
            self.running = [r for r in self.running if r.state == RUNNING]
        self._busy = False
        self._step(now)

    def _release(self, r: Request) -> None:
        kv = self.kv
        cached = r.cached
        if cached:
            kv.release(cached)
            kv.give(r.blocks - len(cached))
        else:
            kv.give(r.blocks)
        r.blocks = 0
        r.cached = None

    def _preempt(self, r: Request) -> float:
        """Evict ``r`` from the batch; returns the seconds its swap-out adds to this iteration."""
        r.preemptions += 1
        self.preemptions += 1
        bs = self.kv.block_size
        if self.preemption == "swap" and r.computed >= r.target and r.generated >= 1:
            moved = r.blocks * bs * self.kv_bytes_per_token
            if self._host_used + moved <= self.host_capacity:
                blocks = r.blocks
                self._release(r)
                r.swapped_blocks = blocks
                r.registered = 0
                r.state = SWAPPED
                self.swapped.append(r)
                self._host_used += moved
                self.swaps += 1
                return moved / self.host_bandwidth
        self._release(r)
        r.registered = 0
        r.computed = 0
        r.target = r.prompt + r.generated if r.generated >= 1 else r.prompt
        r.state = WAITING
        self.waiting.push_front(r)
        return 0.0

    def _stalled(self) -> None:
        kv = self.kv
        detail = ""
        if len(self.waiting):
            r = self.waiting.peek()
            need = _ceil_div(max(r.target, r.computed + 1), kv.block_size)
            detail = (
                f"; the next request ({r.id}) needs {need} blocks and {kv.available} of "
                f"{kv.num_blocks} are free (watermark {kv.watermark_blocks})"
            )
        raise SimulationStalled(
            f"client {self.name!r} cannot make progress: {len(self.waiting)} waiting, "
            f"{len(self.running)} running, {len(self.swapped)} swapped, nothing schedulable"
            f"{detail}; the KV cache or the batch limits are too small"
        )

    # -- recording ------------------------------------------------------------------------
    def _record(self, now: float, batch: int) -> None:
        q = len(self.waiting)
        if batch != self._last_batch or q != self._last_queue:
            self._last_batch = batch
            self._last_queue = q
            self._s_t.append(now)
            self._s_b.append(batch)
            self._s_q.append(q)

    def iteration_log(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(start, end, batch size, iterations folded) of the first ``trace_limit`` iterations."""
        return (
            np.frombuffer(self._tr_s, dtype=np.float64).copy(),
            np.frombuffer(self._tr_e, dtype=np.float64).copy(),
            np.frombuffer(self._tr_n, dtype=np.int64).copy(),
            np.frombuffer(self._tr_k, dtype=np.int64).copy(),
        )

    def finalize(self, end_time: float) -> ClientStats:
        """Close the books at ``end_time`` and return the client's statistics.

        An iteration still in flight counts only the part whose boundaries lie at or before
        ``end_time`` (exactly what stepping one iteration per event would have processed).
        """
        busy = self.busy_time
        iterations = self.iterations
        decode_tokens = self.decode_tokens
        if self._busy and self._k > 1:
            # A fast-forwarded stretch in flight: count its iterations that ended in time.
            t = self._it_start + self._it_dur
            if t <= end_time:
                busy = self._busy_before + self._it_dur
                iterations += 1
                nd, ctx = self._it_nd, self._it_ctx
                decode_tokens += nd
                for j in range(1, self._k):
                    d = self.cost.iteration_time(0, 0.0, 0, nd, ctx + j * nd)
                    t += d
                    if t > end_time:
                        break
                    busy += d
                    iterations += 1
                    decode_tokens += nd
        idle = max(end_time - busy, 0.0)
        return ClientStats(
            name=self.name,
            busy_time=busy,
            end_time=end_time,
            utilisation=busy / end_time if end_time > 0 else 0.0,
            energy=self.busy_power * busy + self.idle_power * idle,
            iterations=iterations,
            prefill_tokens=self.prefill_tokens,
            decode_tokens=decode_tokens,
            preemptions=self.preemptions,
            swaps=self.swaps,
            prefix_hit_tokens=self.prefix_hit_tokens,
            kv_blocks=self.kv.num_blocks,
            kv_peak_blocks=self.kv.peak_used,
            series_time=np.frombuffer(self._s_t, dtype=np.float64).copy(),
            series_batch=np.frombuffer(self._s_b, dtype=np.int64).copy(),
            series_queue=np.frombuffer(self._s_q, dtype=np.int64).copy(),
        )
