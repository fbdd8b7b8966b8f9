"""The paged KV cache of one LLM client: block accounting, watermark, prefix sharing.

Why counts and not block ids: without prefix caching every free block is as good as any other,
so the manager keeps one integer.  With prefix caching only the blocks that hold a published
prompt prefix need an identity (their key, their reference count, their place in the LRU list);
blocks holding private tokens stay anonymous counts.  A request holds ``blocks`` blocks in
total, ``cached`` of them being shared.  A shared block is known by its key (no separate id):
one dict of reference counts and one LRU list, updated in bulk, since a long prompt publishes
hundreds of blocks at once.

vLLM behaviour reproduced here:
- admission of a waiting request needs its blocks plus a *watermark* (a fraction of the cache
  kept free so running requests can grow without immediate preemption);
- blocks are ``block_size`` tokens; only full prompt blocks are shared;
- a cached block with no reference stays cached (and matchable) until its space is needed;
  then the least recently released one is evicted first.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Sequence
from itertools import islice

__all__ = ["KVCache", "prefix_block_keys"]

# Reference counts move in bulk through C-level maps (a prompt can hold thousands of blocks).
_PLUS_ONE = (1).__add__
_MINUS_ONE = (-1).__add__


class KVCache:
    """Paged KV cache of ``num_blocks`` blocks of ``block_size`` tokens.

    ``available`` is the number of blocks a new allocation can take (free ones plus cached
    blocks nobody references, which are evicted on demand).
    """

    __slots__ = (
        "_lru",
        "_plain_free",
        "_ref",
        "available",
        "block_size",
        "hit_blocks",
        "num_blocks",
        "peak_used",
        "prefix_caching",
        "watermark_blocks",
    )

    def __init__(
        self,
        *,
        num_blocks: int,
        block_size: int = 16,
        watermark: float = 0.01,
        prefix_caching: bool = False,
    ) -> None:
        if int(num_blocks) != num_blocks or num_blocks < 1:
            raise ValueError(
                f"the KV cache has {num_blocks} blocks: no request can ever run; "
                "give the client more memory or a smaller model"
            )
        if int(block_size) != block_size or block_size < 1:
            raise ValueError(f"block_size must be a positive integer, got {block_size!r}")
        if not 0.0 <= watermark < 1.0:
            raise ValueError(f"watermark must be a fraction in [0, 1), got {watermark!r}")
        self.num_blocks = int(num_blocks)
        self.block_size = int(block_size)
        self.watermark_blocks = int(watermark * self.num_blocks)
        self.prefix_caching = bool(prefix_caching)
        self.available = self.num_blocks
        self.peak_used = 0
        self.hit_blocks = 0
        self._plain_free = self.num_blocks
        self._ref: dict[object, int] = {}  # key of each cached block -> references
        self._lru: OrderedDict[object, None] = OrderedDict()  # unreferenced ones, oldest first

    @classmethod
    def from_memory(
        cls,
        *,
        capacity_bytes: float,
        kv_bytes_per_token: float,
        block_size: int = 16,
        watermark: float = 0.01,
        prefix_caching: bool = False,
    ) -> KVCache:
        """A cache filling ``capacity_bytes`` (device memory left after weights and activations)."""
        if kv_bytes_per_token <= 0:
            raise ValueError("kv_bytes_per_token must be positive")
        blocks = int(capacity_bytes // (kv_bytes_per_token * block_size))
        if blocks < 1:
            raise ValueError(
                f"{capacity_bytes:.4g} bytes hold no KV block of {block_size} tokens at "
                f"{kv_bytes_per_token:.4g} bytes per token: the model leaves no room for a KV "
                "cache on this device"
            )
        return cls(
            num_blocks=blocks,
            block_size=block_size,
            watermark=watermark,
            prefix_caching=prefix_caching,
        )

    @property
    def used(self) -> int:
        return self.num_blocks - self.available

    # -- anonymous blocks -------------------------------------------------------------------
    def take(self, n: int) -> None:
        """Allocate ``n`` blocks (caller checked ``available``), evicting cached ones if needed."""
        self.available -= n
        if self._plain_free >= n:
            self._plain_free -= n
        else:
            n -= self._plain_free
            self._plain_free = 0
            lru = self._lru
            gone = list(islice(lru, n))
            deque(map(lru.__delitem__, gone), 0)
            deque(map(self._ref.__delitem__, gone), 0)
        used = self.num_blocks - self.available
        if used > self.peak_used:
            self.peak_used = used

    def give(self, n: int) -> None:
        """Return ``n`` anonymous blocks."""
        self.available += n
        self._plain_free += n

    # -- shared prefix blocks ---------------------------------------------------------------
    # A shared block is named by its key: ``match`` returns keys, which ``acquire`` and
    # ``release`` take back.
    def match(self, keys: Sequence[object]) -> list[object]:
        """The cached blocks holding the longest cached prefix of ``keys``."""
        ref = self._ref
        if not keys or keys[0] not in ref:
            return []
        present = list(map(ref.__contains__, keys))
        if False in present:
            return list(keys[: present.index(False)])
        return list(keys)

    def unreferenced(self, blocks: Sequence[object]) -> int:
        """How many of ``blocks`` nobody references (taking them reduces ``available``)."""
        return list(map(self._ref.__getitem__, blocks)).count(0)

    def acquire(self, blocks: Sequence[object]) -> None:
        ref = self._ref
        counts = list(map(ref.__getitem__, blocks))
        zeros = counts.count(0)
        if zeros:
            lru = self._lru
            if zeros == len(counts):
                deque(map(lru.__delitem__, blocks), 0)
            else:
                for b, c in zip(blocks, counts, strict=True):
                    if c == 0:
                        del lru[b]
            self.available -= zeros
        ref.update(zip(blocks, map(_PLUS_ONE, counts)))
        self.hit_blocks += len(blocks)
        used = self.num_blocks - self.available
        if used > self.peak_used:
            self.peak_used = used

    def release(self, blocks: Sequence[object]) -> None:
        """Drop one reference to each block; unreferenced ones stay cached, newest last in LRU.

        Released tail-first (as vLLM does) so a prompt's deepest blocks are evicted before its
        shared head.
        """
        ref = self._ref
        counts = list(map(_MINUS_ONE, map(ref.__getitem__, blocks)))
        ref.update(zip(blocks, counts))
        zeros = counts.count(0)
        if zeros:
            lru = self._lru
            if zeros == len(counts):
                for b in reversed(blocks):  # faster than OrderedDict.update
                    lru[b] = None
            else:
                for b, c in zip(reversed(blocks), reversed(counts)):
                    if c == 0:
                        lru[b] = None
            self.available += zeros

    def register(self, key: object) -> object | None:
        """Publish one of the caller's anonymous blocks under ``key``; the key, or None.

        None when the key is already cached (another request computed the same block first):
        the caller's copy stays private.
        """
        ref = self._ref
        if key in ref:
            return None
        ref[key] = 1
        return key

    def register_range(self, keys: Sequence[object], lo: int, hi: int, out: list[object]) -> None:
        """:meth:`register` ``keys[lo:hi]`` in order, appending the published ones to ``out``."""
        if hi <= lo:
            return
        part = keys[lo:hi]
        ref = self._ref
        if ref.keys().isdisjoint(part) and (type(part) is range or len(set(part)) == len(part)):
            ref.update(dict.fromkeys(part, 1))
            out.extend(part)
            return
        for k in part:
            if k not in ref:
                ref[k] = 1
                out.append(k)

    def cached_blocks(self) -> int:
        return len(self._ref)


def prefix_block_keys(
    hash_ids: Sequence[int], hash_block_size: int, block_size: int, prompt: int
) -> list[object]:
    """Keys of a prompt's full KV blocks from its prefix-block hashes (Mooncake's format).

    A trace's hash ``h_i`` names the ``i``-th ``hash_block_size``-token block of a prompt; two
    prompts share a block only if they agree on every hash up to it, so the key chains them:
    ``c_i = hash((c_{i-1}, h_i))`` (integer tuples hash the same in every process).  Each trace
    block splits into ``hash_block_size // block_size`` cache blocks keyed ``(c_i, j)``.
    """
    if hash_block_size % block_size:
        raise ValueError(
            f"the trace's prefix blocks ({hash_block_size} tokens) must be a multiple of the "
            f"KV cache's block size ({block_size} tokens)"
        )
    per = hash_block_size // block_size
    full = prompt // block_size
    keys: list[object] = []
    chain = 0
    for h in hash_ids:
        if len(keys) >= full:
            break
        chain = hash((chain, int(h)))
        keys.extend([(chain, j) for j in range(per)])
    del keys[full:]
    return keys
