"""Loading a spec and everything it imports.

Import paths are module names, never file paths: ``std.hw.nvidia`` is ``std/hw/nvidia.hermes``
under one of the *roots*: the spec's own folder, each ``--path`` folder, and the bundled
``stdlib/``.  A module found through a symbolic link that leads outside its root is refused, so
a spec can read nothing on disk but those folders.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from hermes_dsl.diagnostics import Diagnostic, DiagnosticSink, Note, did_you_mean
from hermes_dsl.source import SourceMap, Span
from hermes_dsl.syntax import ast
from hermes_dsl.syntax.parser import parse_module

STDLIB = Path(__file__).resolve().parents[2] / "stdlib"
SUPPORTED_VERSIONS = ("1",)


@dataclass
class LoadedModule:
    """One parsed file and the names visible inside it."""

    key: str  # module name (``std.hw.nvidia``) or the root spec's file name
    path: Path
    ast: ast.Module
    # name -> (decl, module it lives in); imported names point into other modules
    decls: dict[str, tuple[ast.Decl, LoadedModule]] = field(default_factory=dict)
    modules: dict[str, LoadedModule] = field(default_factory=dict)  # namespace imports
    # names whose import failed: already reported, so uses of them are not reported again
    poisoned: set[str] = field(default_factory=set)

    def lookup(self, name: str) -> tuple[ast.Decl, LoadedModule] | None:
        return self.decls.get(name)


class Loader:
    def __init__(
        self, sources: SourceMap, sink: DiagnosticSink, search_paths: tuple[Path, ...] = ()
    ) -> None:
        self.sources = sources
        self.sink = sink
        self.search_paths = tuple(Path(p).resolve() for p in search_paths)
        self.loaded: dict[Path, LoadedModule] = {}
        self._stack: list[Path] = []
        self.roots: tuple[Path, ...] = ()

    def display_name(self, path: Path) -> str:
        """Paths in diagnostics: relative to the working directory when inside it."""
        try:
            return os.path.relpath(path)
        except ValueError:
            return str(path)

    def load_root(self, path: Path, text: str | None = None) -> LoadedModule:
        path = path.resolve()
        self.roots = (path.parent, *self.search_paths, STDLIB.resolve())
        return self._load(path, path.name, text)

    def _load(self, path: Path, key: str, text: str | None = None) -> LoadedModule:
        if path in self.loaded:
            return self.loaded[path]
        if text is None:
            raw = path.read_bytes()
            text = raw.decode("utf-8", errors="replace")
        src = self.sources.add(self.display_name(path), text)
        tree = parse_module(src, self.sink)
        module = LoadedModule(key, path, tree)
        module.poisoned.update(tree.broken)
        self.loaded[path] = module
        self._check_header(tree, src.span(0, min(len(text), 1)))
        self._stack.append(path)
        for decl in tree.decls:
            if decl.name in module.decls:
                first = module.decls[decl.name][0]
                self.sink.add(
                    Diagnostic(
                        "E0202",
                        f"`{decl.name}` is defined twice",
                        decl.name_span,
                        hint="give one of them another name",
                        notes=(Note("first defined here", first.name_span),),
                    )
                )
                continue
            module.decls[decl.name] = (decl, module)
        for imp in tree.imports:
            self._import(module, imp)
        self._stack.pop()
        return module

    def _check_header(self, tree: ast.Module, first: Span) -> None:
        if tree.header is None:
            self.sink.error(
                "E0402",
                "missing version line",
                first,
                hint="start the file with `hermes 1`",
            )
        elif tree.header.version not in SUPPORTED_VERSIONS:
            self.sink.error(
                "E0403",
                f"unsupported language version `{tree.header.version}`",
                tree.header.span,
                hint="this compiler reads `hermes 1`",
            )

    # imports ------------------------------------------------------------------------------
    def _find(self, parts: tuple[str, ...]) -> Path | None:
        rel = Path(*parts).with_suffix(".hermes")
        for root in self.roots:
            candidate = root / rel
            if candidate.is_file():
                real = candidate.resolve()
                if not real.is_relative_to(root):
                    continue
                return real
        return None

    def _escapes(self, parts: tuple[str, ...]) -> bool:
        rel = Path(*parts).with_suffix(".hermes")
        for root in self.roots:
            candidate = root / rel
            if candidate.is_file() and not candidate.resolve().is_relative_to(root):
                return True
        return False

    def _open(self, owner: LoadedModule, parts: tuple[str, ...], imp: ast.Import):
        """Load module ``parts``; report and return None when impossible."""
        path = self._find(parts)
        if path is None:
            if self._escapes(parts):
                self.sink.error(
                    "E0206",
                    f"`{'.'.join(parts)}` leads outside the folders a spec may import from",
                    imp.span,
                    hint="imports may come from the spec's folder, `--path` folders and stdlib/",
                )
            return None
        if path in self._stack:
            chain = [self.display_name(p) for p in self._stack[self._stack.index(path) :]]
            self.sink.error(
                "E0205",
                f"import cycle: {' -> '.join([*chain, self.display_name(path)])}",
                imp.span,
                hint="move what both files need into a third file that neither imports",
            )
            return None
        return self._load(path, ".".join(parts))

    def _import(self, owner: LoadedModule, imp: ast.Import) -> None:
        before = len(self.sink.items)
        self._import_names(owner, imp)
        if len(self.sink.items) > before:
            if imp.names:
                owner.poisoned.update(n.alias or n.name for n in imp.names)
            elif imp.path:
                owner.poisoned.add(imp.alias or imp.path[-1])

    def _import_names(self, owner: LoadedModule, imp: ast.Import) -> None:
        parts = imp.path
        if imp.names is not None:
            if not parts:
                self.sink.error("E0203", "an import needs a module path", imp.span)
                return
            module = self._open(owner, parts, imp)
            if module is None:
                self._not_found(parts, imp)
                return
            for item in imp.names:
                self._bind(owner, module, item.name, item.alias or item.name, item.span)
            return
        # `import a.b.c`: a whole module, or the name `c` from module `a.b`
        whole = self._find(parts)
        if whole is not None:
            module = self._open(owner, parts, imp)
            if module is not None:
                owner.modules[imp.alias or parts[-1]] = module
            return
        if len(parts) > 1:
            module = self._open(owner, parts[:-1], imp)
            if module is not None:
                self._bind(owner, module, parts[-1], imp.alias or parts[-1], imp.span)
                return
            if self._find(parts[:-1]) is not None:
                return  # the module exists but failed to load: already reported
        self._not_found(parts, imp)

    def _not_found(self, parts: tuple[str, ...], imp: ast.Import) -> None:
        if self._escapes(parts) or (len(parts) > 1 and self._escapes(parts[:-1])):
            return
        if any(p in self._stack for p in filter(None, [self._find(parts)])):
            return
        if self._find(parts[:-1] if len(parts) > 1 else parts) in self._stack:
            return
        name = ".".join(parts)
        known = sorted(self.available_modules())
        guess = did_you_mean(name, known) or did_you_mean(".".join(parts[:-1]), known)
        hint = (
            f"did you mean `{guess}`?"
            if guess
            else (
                "modules come from the spec's folder, `--path` folders and stdlib/ "
                "(e.g. `std.hw.nvidia`)"
            )
        )
        self.sink.error("E0203", f"cannot find module `{name}`", imp.span, hint=hint)

    def _bind(
        self, owner: LoadedModule, module: LoadedModule, name: str, alias: str, span: Span
    ) -> None:
        found = module.lookup(name)
        if found is None:
            guess = did_you_mean(name, module.decls)
            self.sink.error(
                "E0204",
                f"module `{module.key}` has no `{name}`",
                span,
                hint=f"did you mean `{guess}`?" if guess else None,
            )
            return
        if alias in owner.decls and owner.decls[alias] != found:
            self.sink.error(
                "E0202",
                f"`{alias}` is already defined in this file",
                span,
                hint=f"import it under another name: `{name} as Other`",
            )
            return
        owner.decls[alias] = found

    def available_modules(self) -> list[str]:
        out = []
        for root in self.roots:
            if not root.is_dir():
                continue
            for p in sorted(root.rglob("*.hermes")):
                rel = p.relative_to(root).with_suffix("")
                out.append(".".join(rel.parts))
        return out
