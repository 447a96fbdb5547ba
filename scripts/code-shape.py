#!/usr/bin/env python3
"""The code's shape, for the structure checks of ARCHITECTURE.md.

    scripts/code-shape.py imports     each folder's `crate::` imports (folder -> folders)
    scripts/code-shape.py longest [N] the N longest functions in src/ (default 10)

Reads src/ as text: a function runs from its `fn` line to the line that closes its body
at the same indentation (rustfmt's layout); `use crate::{a::..., b}` groups are expanded.
"""
import pathlib
import re
import sys
from collections import defaultdict

SRC = pathlib.Path(__file__).resolve().parent.parent / "src"


def folder_of(path):
    rel = path.relative_to(SRC)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def used_roots(text):
    """Top-level names after `crate::` in use lines and paths (`crate::{a, b::c}` too)."""
    roots = set()
    for m in re.finditer(r"crate::\{([^;]*?)\};", text, re.S):
        depth, item = 0, ""
        for ch in m.group(1) + ",":
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
            if ch == "," and depth == 0:
                name = re.match(r"\s*(\w+)", item)
                if name:
                    roots.add(name.group(1))
                item = ""
            else:
                item += ch
    for m in re.finditer(r"crate::(\w+)", text):
        roots.add(m.group(1))
    return roots


def imports():
    graph = defaultdict(set)
    for path in sorted(SRC.rglob("*.rs")):
        me = folder_of(path)
        for root in used_roots(path.read_text()):
            target = root if (SRC / root).is_dir() or (SRC / f"{root}.rs").exists() else None
            if target and target != me:
                graph[me].add(target)
    for folder in sorted({folder_of(p) for p in SRC.rglob("*.rs")}):
        print(f"{folder}: {', '.join(sorted(graph[folder])) or '-'}")


def longest(count):
    found = []
    for path in sorted(SRC.rglob("*.rs")):
        lines = path.read_text().splitlines()
        for i, line in enumerate(lines):
            m = re.match(r"^(\s*)(?:pub(?:\([\w:]+\))? )?(?:const )?(?:async )?(?:unsafe )?fn (\w+)", line)
            if not m:
                continue
            indent = m.group(1)
            if line.rstrip().endswith(";"):
                continue
            j = next((k for k in range(i, len(lines)) if lines[k].rstrip() == indent + "}"), i)
            found.append((j - i + 1, f"{path.relative_to(SRC.parent)}:{i + 1}", m.group(2)))
    for n, where, name in sorted(found, reverse=True)[:count]:
        print(f"{n:5}  {name}  {where}")


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "imports"
    if what == "imports":
        imports()
    elif what == "longest":
        longest(int(sys.argv[2]) if len(sys.argv) > 2 else 10)
    else:
        sys.exit(__doc__)
