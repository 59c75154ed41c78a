"""The compiled read path (DESIGN §2b, docs/compiled-reads.md).

A validated query document on the hot read roots becomes a plan once: the statements
(built by graph/queries' own functions, so the viewer's read predicate and the filters
are the same ones Strawberry's resolvers use), and a projection from plain rows to the
response, made of the schema's own serializers and formatters. Anything the planner does
not know raises `Unsupported` (planning) or `Fallback` (running): Strawberry then executes
the whole operation, so answers, errors included, are always Strawberry's.

- `plan.py`     the plan context (fragments, variables, field collection) and the two errors
- `sources.py`  how each supported object type's fields come from a row (columns, joins)
- `roots.py`    the supported root fields: `timeline`, `activities`
- `planner.py`  documents → plans, cached; running a plan to response bytes
"""
