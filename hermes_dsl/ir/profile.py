"""Measured kernel timings in the IR: which device and model they were measured on, and where."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from hermes_dsl.ir.hardware import DeviceSpec
from hermes_dsl.source import NO_SPAN, Span

PROFILE_FORMATS = ("vidur", "table")


@dataclass(frozen=True, slots=True)
class Profile:
    """A ``profile`` declaration: LLM clients running ``model`` on ``device`` use these timings.

    ``path`` is the table file (absolute once found; the generated code locates it again at run
    time).  ``tps`` are the tensor-parallel degrees the file has measurements for, read when the
    spec was checked, so the checks can tell a stage whose tp was never measured without reading
    the file again (the run checks the file it reads once more: it may have changed).
    """

    name: str
    device: DeviceSpec
    model: str  # the model's name in Program.models
    path: str
    format: str  # one of PROFILE_FORMATS as the spec names it, or "": told from the file
    tps: tuple[int, ...] = ()
    span: Span = NO_SPAN

    def covers(self, device: DeviceSpec, model: str) -> bool:
        """Whether a client of ``model`` on ``device`` uses this profile.

        Devices match on their datasheet, not on the name a spec gives the part: a GPU declared
        ``gpu g[8] : A100_SXM`` is the profiled A100, one that overrides its memory is not.
        """
        if model != self.model:
            return False
        if device == self.device:
            return True
        return dataclasses.replace(device, type_name=self.device.type_name) == self.device
