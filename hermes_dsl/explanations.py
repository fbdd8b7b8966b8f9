"""The long form of every diagnostic code, printed by ``hermes explain CODE``."""

from __future__ import annotations

EXPLANATIONS: dict[str, tuple[str, str]] = {
    # code: (title, explanation)
    "E0101": (
        "unexpected character",
        """
A character appeared that cannot start any token here, for example `$` or a stray `@`.
Names are letters, digits and `_`; numbers may carry a unit (`80 GB`); strings are in
double quotes; comments start with `#`.""",
    ),
    "E0102": (
        "unexpected token",
        """
The parser met a word or symbol it did not expect at this point. The hint lists what could
come next. Common causes: a missing `=` in a field (`hidden 4096` instead of
`hidden = 4096`), a missing `,` between call arguments, or two statements on one line without
`;` between them.

    model m { layers = 32; hidden = 4096 }""",
    ),
    "E0103": (
        "bracket never closed",
        """
A block, a call or a list was opened and never closed: the file ended while it was still
open, or (for `(` and `[`, inside which new lines do not end a statement) the next line was
read as more arguments. The diagnostic points at the bracket that is never closed.""",
    ),
    "E0104": ("duplicate version line", "A file has exactly one `hermes 1` line, at its top."),
    "E0105": ("unterminated string", 'Strings open and close with `"` on the same line.'),
    "E0106": ("nesting too deep", "The spec nests brackets more deeply than the parser allows."),
    "E0107": ("too many syntax errors", "Parsing stopped after many errors; fix the first ones."),
    "E0201": (
        "unknown name",
        """
A name is used that is neither declared in this file, imported, nor a param. Check the
spelling (the hint suggests the closest name in scope), or import it:

    import std.models.llama.Llama3_1_8B""",
    ),
    "E0202": ("defined twice", "Two declarations, imports, stages or params share a name."),
    "E0203": (
        "module not found",
        """
An `import` names a module that does not exist. Modules are files: `std.hw.nvidia` is
`stdlib/std/hw/nvidia.hermes`; `parts.racks` is `parts/racks.hermes` beside the spec, or in a
folder given with `--path`.""",
    ),
    "E0204": ("name not in module", "The module exists but declares no such name."),
    "E0205": (
        "import cycle",
        """
Two or more files import each other. Move what they share into a third file that both
import.""",
    ),
    "E0206": (
        "import outside the allowed folders",
        """
A spec may import only from its own folder (and below), folders given with `--path`, and the
standard library. A module reached through a symbolic link that leads elsewhere is refused.""",
    ),
    "E0207": (
        "bad index",
        """
An index or range does not fit the array, or indexes something that is not an array. Ranges
are half open: for `n[8]`, `n[0..4]` is the first four and `n[4..8]` the last four; `n[*]`
(or plain `n`) is all of them.""",
    ),
    "E0208": ("no such part", "A hardware path names a part that the group does not contain."),
    "E0209": (
        "wrong kind of declaration",
        """
A name refers to the wrong kind of thing: a model where a part is expected, a gpu extending a
link, a link where a memory is expected.""",
    ),
    "E0210": (
        "unknown function",
        """
A call names a stage kind, batching policy, routing policy, distribution or transform that
does not exist. Stage kinds: preprocess, postprocess, embed, ivfpq, rerank, kv_fetch, prefill,
decode, generate. Batching: static, continuous, chunked, mixed. Routing: round_robin,
least_loaded, heavy_light, by_model, random.""",
    ),
    "E0211": ("unknown param on the command line", "`-p NAME=VALUE` names no declared param."),
    "E0212": ("unknown stage", "A flow, loop or route names a stage the pipeline lacks."),
    "E0213": (
        "unknown metric",
        """
SLOs and reports name metrics: ttft, tpot, e2e, queue (with .p50 .p90 .p95 .p99 .mean .max),
goodput, throughput, energy, utilization, or a stage's latency as `stage.NAME.p90`.""",
    ),
    "W0214": (
        "trace file not found",
        """
A workload reads a trace file that is not beside the spec nor in a `--data` folder or
$HERMES_DATA. The spec checks, but running it needs the file.""",
    ),
    "W0215": (
        "profile file not found",
        """
A `profile` names a file of measured timings that is not beside the spec nor in a `--data`
folder or $HERMES_DATA. The spec checks, but running it needs the file.""",
    ),
    "E0301": (
        "unknown unit",
        """
A number carries a unit that does not exist. Sizes: B (byte), b (bit) with SI prefixes (kB,
MB, GB, TB: powers of 1000) or IEC prefixes (KiB, MiB, GiB, TiB: powers of 1024). Rates use a
slash: GB/s, Gb/s, TFLOP/s, req/s, tokens/s. Time: ns, us, ms, s, min, h. Power W, energy J.""",
    ),
    "E0302": (
        "wrong unit",
        """
A field expects one kind of quantity and got another, for example a bandwidth written as a
size:

    link ib { bandwidth = 50 GB }      # wrong: bytes
    link ib { bandwidth = 50 GB/s }    # right: bytes per second

A plain number where a quantity is expected is also an error: units are never assumed.""",
    ),
    "E0303": ("not a whole number", "Counts (layers, heads, tp, array sizes) are whole numbers."),
    "E0304": (
        "value out of range",
        """
A value is outside what makes sense: a negative size, a fraction above 1, top_k above the
number of experts, heads not a multiple of KV heads, min above max.""",
    ),
    "E0305": (
        "wrong kind of value",
        """
A field got a value of the wrong shape: a string where a number is expected, a number where a
model is expected, a name where a call such as `poisson(10 req/s)` is expected.""",
    ),
    "E0306": (
        "unknown choice",
        """
A field accepts one of a fixed set of words (dtype: fp32 bf16 fp16 fp8 int8 fp6 fp4 int4;
model kind: decoder encoder cross_encoder; packing: fcfs least_work_left).""",
    ),
    "E0307": ("missing field", "A required field is absent; the hint names it."),
    "E0308": ("unknown field", "A field name that this kind of declaration does not have."),
    "E0309": (
        "unknown param type",
        """
Param types: int, float, number, fraction, bool, string, time, bytes, bandwidth, flops,
flop_rate, rate (requests/s), token_rate, tokens, requests, power, energy.""",
    ),
    "E0310": ("bad command-line value", "A `-p NAME=VALUE` value could not be read."),
    "E0311": ("incompatible units in arithmetic", "`+` and `-` need the same unit on both sides."),
    "E0312": ("wrong arguments", "A call has too many, unknown, repeated or missing arguments."),
    "E0313": (
        "unusable profile file",
        """
A `profile` file could not be read. A profile is a CSV file in one of two formats, told apart
by its header line (or named with `format = vidur` / `format = table`):

* a Vidur `mlp.csv`: `num_tokens`, `num_tensor_parallel_workers`, the model shape (`n_head`,
  `n_kv_head`, `n_embd`, `n_expanded_embd`, `vocab_size`, `use_gated_mlp`) and
  `time_stats.<operator>.median` in milliseconds;
* a table: the header `operator,tokens,batch,tp,seconds` and one row per measured kernel of one
  layer, e.g. `qkv_proj,512,1,1,0.000118`.

The message names the line that could not be used.""",
    ),
    "E0314": (
        "profile of another model",
        """
A Vidur profile records the shape of the model it was measured on; the `model` of the
`profile` has another hidden size, head count, KV head count, MLP width or MLP kind, so the
timings do not describe it.

    profile p { device = A100_80GB; model = Llama2_7B; data = "llama-2-7b/mlp.csv" }""",
    ),
    "E0401": (
        "declaration in the wrong place",
        """
Parts (rack, node, gpu, cpu, accel, memory, link) go inside `hardware` or in part templates;
stages, flows, loops and routes in a `pipeline`; run, slo, sweep and report in an
`experiment`.""",
    ),
    "E0402": ("missing version line", "Every file starts with `hermes 1`."),
    "E0403": ("unsupported version", "This compiler reads language version 1."),
    "E0404": ("inheritance cycle", "A declaration extends itself through its `: Base` chain."),
    "E0406": ("platform too large", "A platform has more parts than the compiler handles."),
    "E0407": ("experiment without a run", "An experiment says `run PIPELINE with WORKLOAD` once."),
    "E0410": (
        "dataflow cycle",
        """
The flows of a pipeline go round in a circle: following the arrows from a stage leads back
to it, so a request would never leave.  A deliberate back edge (an agent that retrieves
again after generating) is written as a bounded `loop`, which the checks allow:

    flow retrieve -> llm
    loop llm -> retrieve max 2""",
    ),
    "E0411": (
        "stage no request reaches",
        """
Requests enter a pipeline at its first stage with nothing flowing into it, and move along
the flows.  This stage is on no flow from there: it is on no flow at all, or it starts a
second chain of flows that nothing leads into.  Add it to a flow from the first stage, or
remove it.""",
    ),
    "E0412": (
        "output goes nowhere",
        """
A pipeline with an LLM stage answers from a `decode`, `generate` or `postprocess` stage
(or a `prefill` when nothing decodes).  This stage is last in its flow but hands on
something only a later stage uses: retrieved context, an embedding or a KV cache.  Add the
flow that carries it on, e.g. `flow retrieve -> llm`.""",
    ),
    "E0413": (
        "pipeline without a first or last stage",
        """
Every stage of the pipeline has a stage before it (so requests have nowhere to enter), or
every stage has one after it (so no stage answers).  This happens when the flows form a
cycle; write the back edge as `loop A -> B max N`.""",
    ),
    "E0414": (
        "branch fractions do not add up",
        """
`flow a -> (b 30% | c 70%)` sends each request down one branch, so the fractions out of
one stage must add up to 1 (within 1e-6), counting the branches of every flow from that
stage.  A stage that branches cannot also flow on unconditionally to another stage: give
that stage a fraction inside the branch.""",
    ),
    "E0415": (
        "stage on no devices",
        """
`prefill`, `decode`, `generate`, `embed`, `ivfpq` and `rerank` stages compute, so they need
devices: `stage llm = generate(m, tp = 8) on dc.n[0].g`.  `kv_fetch` needs none (it reads
its memory tiers), nor do `preprocess`/`postprocess` stages given as fixed times.""",
    ),
    "E0416": (
        "device cannot run the stage",
        """
LLM stages (`prefill`, `decode`, `generate`) run on GPUs or accelerators; a CPU in their
device list is almost always a selection that went one level too far (`on dc.n[0]` selects
every device of the node, CPUs included; write `on dc.n[0].g`).  Embedding, IVF-PQ and
rerank stages may run on CPUs.""",
    ),
    "E0417": (
        "devices not a multiple of tp * pp",
        """
A stage's devices are split, in order, into clients of `tp * pp` devices.  The count must
divide evenly, or the last client would be incomplete.""",
    ),
    "E0418": (
        "weights do not fit",
        """
Each device of an LLM client holds `weight_bytes / (tp * pp)` of the model's weights (the
parameter count times the bytes of its `dtype`), and can use `memory * memory_util` of its
memory (memory_util defaults to 0.9, as vLLM's gpu_memory_utilization).  Raise `tp` or
`pp`, quantise the model (`model m : Llama3_1_70B { dtype = fp8 }`), or use devices with
more memory.  An encoder (embed, rerank) must fit on one device.""",
    ),
    "E0419": (
        "no room for the KV cache",
        """
The weights fit, but what is left of the usable memory holds not even one KV block
(`kv_block` tokens, 16 by default).  KV bytes per token and device are 2 x layers/pp x
ceil(kv_heads/tp) x head_dim x bytes of `kv_dtype`.  Raise `tp`, lower the dtype or use a
larger device; `hermes check --info` prints the KV capacity of every LLM stage.""",
    ),
    "E0420": (
        "parallelism does not match the model",
        """
Tensor parallelism splits the attention heads over `tp` devices, so `tp` must divide the
number of heads, and the KV heads must be divisible by `tp` or divide it (then they are
replicated).  `pp` cannot exceed the number of layers.""",
    ),
    "E0421": (
        "tensor-parallel group split across links",
        """
The `tp` devices of one client exchange activations twice per layer, so they must sit on
one fabric: a single link that names all of them (a node's NVLink).  Clients take devices
in order, so with 8 GPUs per node `tp = 8` on `dc.n[*].g` is fine but `tp = 8` on
`dc.n[0].g[4..8], dc.n[1].g[0..4]` puts one group across two nodes.""",
    ),
    "E0422": (
        "tensor-parallel degree not profiled",
        """
An LLM stage runs a model on a device that a `profile` covers, at a `tp` the profile has no
measurements for. Kernel times at one tp do not carry over to another (each device holds a
different share of every layer), so either profile that tp or change the stage's `tp` to
one the hint lists.""",
    ),
    "E0423": (
        "two profiles for one model and device",
        """
Two `profile` declarations name the same model on devices with the same datasheet, so a
client would have two tables to choose from. One profile holds every measurement of a
model on a device: a table's rows carry their `tp`, so timings at several tensor-parallel
degrees go in one file.""",
    ),
    "W0410": (
        "stages not joined by a link",
        """
Data moves from one stage's devices to the next stage's (context, a KV cache, tokens), but
no chain of links joins some of them.  A path leaves a device over a link it is on, may
climb to the group the link is declared in or to a group the link names, and so on; a
device on no link reaches its enclosing group's links directly.  Add the missing link,
e.g. `link ib : InterNode connects n[*]`.  Until then the simulator cannot time the
transfer.  `hermes check --info` prints the bottleneck bandwidth and latency of every
transfer that has a path.""",
    ),
    "W0411": (
        "link connects nothing",
        """
A link with fewer than two endpoints carries no traffic.  Add `connects` with what it
joins: `link nv : NVLink4 connects g[*]`.""",
    ),
    "W0412": (
        "hardware no stage uses",
        """
Some GPUs or accelerators of a platform serve no stage of any pipeline, so they add nothing
to a simulation (and nothing to its energy).  The warning counts them per device type.
Place a stage on them or leave them out; CPUs are not counted, as every node has hosts.""",
    ),
    "W0413": (
        "memory shared by nothing",
        """
A memory tier without `shared_by` cannot be reached by any device, so no `kv_fetch` can
read from it: `memory pool : RackShared shared_by n[*]`.""",
    ),
    "W0414": (
        "KV tier out of reach",
        """
A `kv_fetch` tier must be reachable from the devices of the LLM stage that receives the
KV cache: the memory's `shared_by` must name those devices or a group around them.  A
rack's memory shared by that rack's nodes is out of reach of the other racks.""",
    ),
    "W0415": (
        "profile used by no stage",
        """
A `profile` applies to the clients of LLM stages that run its `model` on its `device`: the
same model name and a device with the same datasheet (a part that overrides a field of the
profiled one is another device). No stage does, so the timings are never used.""",
    ),
    "E0501": (
        "simulation failed",
        """
A spec that checks can still fail when it runs: a trace file that is not where the spec says,
a model whose weights leave no room for a request's KV cache on its clients, a stage with
nothing to run on. The error points at the spec line of the stage, workload or model at
fault; the hint says what to change.""",
    ),
}


def explain(code: str) -> str | None:
    entry = EXPLANATIONS.get(code.upper())
    if entry is None:
        return None
    title, body = entry
    return f"{code.upper()}: {title}\n{body.rstrip()}\n"
