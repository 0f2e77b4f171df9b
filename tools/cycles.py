"""No import loops: fail when modules of ours import each other in a circle, directly or through others.

import-linter's contracts say which floor may import which; a loop inside one floor slips past them, so this reads
the same import graph (grimp, import-linter's own library) and reports every strongly connected component.
Imports made inside functions count too: a loop hidden in a function body is still a loop for the reader.

    python -m tools.cycles            # all our packages
    python -m tools.cycles sync bot   # some of them
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping

import grimp

PACKAGES = ("core", "sync", "blocks", "bot", "handlers", "sandbox")


def import_graph(packages: Iterable[str]) -> dict[str, set[str]]:
    """module -> the modules of ours it imports directly."""
    graph = grimp.build_graph(*packages, cache_dir=None)
    return {m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules}


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative), each sorted, largest first."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return sorted(found, key=lambda c: (-len(c), c))


def main(argv: list[str] | None = None) -> int:
    packages = (argv if argv is not None else sys.argv[1:]) or list(PACKAGES)
    graph = import_graph(packages)
    loops = cycles(graph)
    for loop in loops:
        members = set(loop)
        sys.stderr.write(f"import loop of {len(loop)} modules:\n")
        for module in loop:
            inside = sorted(graph[module] & members)
            sys.stderr.write(f"  {module} -> {', '.join(inside)}\n")
    if loops:
        return 1
    sys.stdout.write(f"no import loops among {len(graph)} modules of {', '.join(packages)}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
