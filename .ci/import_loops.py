"""Count the import loops in a package, as `make lint` reads them.

Usage: python .ci/import_loops.py [PACKAGE]   (default qa_app; run from the checkout)

Imports made only under `if TYPE_CHECKING:` are left out: they never run. Prints
- module loops: groups of modules that import each other (strongly connected components);
- arrows that run back up: at each package level, the fewest imports between sibling
  modules or packages whose removal leaves the siblings without a loop (grimp's cycle
  breakers, as import-linter's acyclic_siblings contract counts them).
Exits 1 when either count is not zero.
"""

from __future__ import annotations

import sys

import grimp


def module_loops(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    loops: list[list[str]] = []
    counter = 0
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append(
                        (child, iter(sorted(graph.find_modules_directly_imported_by(child))))
                    )
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        loops.append(sorted(component))
    return loops


def upward_arrows(graph: grimp.ImportGraph, package: str) -> list[tuple[str, str]]:
    """Cycle breakers between the children of every package under `package`."""
    arrows: list[tuple[str, str]] = []
    packages = [package, *sorted(graph.find_descendants(package))]
    for name in packages:
        if not graph.find_children(name):
            continue
        arrows.extend(
            (f"{name}: {importer}", imported)
            for importer, imported in sorted(graph.nominate_cycle_breakers(name))
        )
    return arrows


def main() -> int:
    package = sys.argv[1] if len(sys.argv) > 1 else "qa_app"
    graph = grimp.build_graph(package, exclude_type_checking_imports=True, cache_dir=None)
    loops = module_loops(graph)
    arrows = upward_arrows(graph, package)
    print(f"{package}: {len(graph.modules)} modules")
    print(f"module loops: {len(loops)}")
    for loop in loops:
        print("  " + " <-> ".join(loop))
    print(f"arrows that run back up (sibling cycle breakers): {len(arrows)}")
    for where, imported in arrows:
        print(f"  {where} -> {imported}")
    return 1 if loops or arrows else 0


if __name__ == "__main__":
    sys.exit(main())
