"""The order in which a dry run lists instances: chain by chain.

`Dag.order` lists each step's instances together (every `clean[s=..]`, then every
`count[s=..,k=..]`), so the plan for one sample is spread over the whole listing. A
reader follows one sweep value at a time: `clean[s=S1]`, the `count`s of S1, `qc[s=S1]`,
then S2, and an instance that joins them (`merge`) after the last of its inputs.
"""

from __future__ import annotations

from seamlessflow.graph.dag import Dag


def chain_order(dag: Dag, names: list[str]) -> list[str]:
    """`names` (closed under upstream, as a selection is) in a depth-first topological
    order: each instance as soon as its last listed upstream instance is, the earliest
    declared first among those ready."""
    waiting = {name: len(dag.upstream[name]) for name in names}
    order: list[str] = []
    for root in names:
        if waiting[root] != 0:
            continue
        waiting[root] = -1
        stack = [root]
        while stack:
            name = stack.pop()
            order.append(name)
            ready = []
            for down in dag.downstream[name]:
                if down in waiting:
                    waiting[down] -= 1
                    if waiting[down] == 0:
                        waiting[down] = -1
                        ready.append(down)
            stack.extend(reversed(ready))
    return order
