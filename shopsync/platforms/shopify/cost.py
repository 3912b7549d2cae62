"""How many points a GraphQL request will reserve from the shop's cost bucket.

Shopify reserves `requestedQueryCost` before running a query, so the client
must have that much room in its mirror of the bucket before sending. The best
estimate is the requested cost Shopify reported last time for the same document
and page sizes; before that, a static estimate from Shopify's published rules:
scalars 0, objects 1, connections 2 + first × (cost of one node), mutations 10.
"""
from __future__ import annotations

import json
import threading
from collections import OrderedDict
from functools import lru_cache

from graphql import parse
from graphql.language import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
)
from graphql.utilities import value_from_ast_untyped

MUTATION_COST = 10
_PAGE_ARGS = ("first", "last")


def _argument(field: FieldNode, name: str, variables: dict):
    for arg in field.arguments or ():
        if arg.name.value == name:
            if isinstance(arg.value, VariableNode):
                return variables.get(arg.value.name.value)
            if isinstance(arg.value, (IntValueNode, ListValueNode)):
                return value_from_ast_untyped(arg.value)
    return None


class _Estimator:
    def __init__(self, document: DocumentNode, variables: dict):
        self.fragments = {d.name.value: d for d in document.definitions
                          if isinstance(d, FragmentDefinitionNode)}
        self.variables = variables

    def fields(self, selection_set: SelectionSetNode | None):
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                yield selection
            elif isinstance(selection, InlineFragmentNode):
                # Summing every type condition over-estimates, which is the safe side.
                yield from self.fields(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                yield from self.fields(self.fragments[selection.name.value].selection_set)

    def selection(self, selection_set) -> int:
        return sum(self.field(f) for f in self.fields(selection_set))

    def node(self, field: FieldNode) -> int:
        return 1 + self.selection(field.selection_set)

    def field(self, field: FieldNode) -> int:
        if field.selection_set is None or field.name.value == "pageInfo":
            return 0
        size = next((v for v in (_argument(field, a, self.variables) for a in _PAGE_ARGS)
                     if v is not None), None)
        if size is not None:
            return 2 + int(size) * self.connection_item(field)
        ids = _argument(field, "ids", self.variables)
        if isinstance(ids, list):
            return len(ids) * self.node(field)
        return self.node(field)

    def connection_item(self, connection: FieldNode) -> int:
        cost = 0
        for child in self.fields(connection.selection_set):
            if child.name.value == "nodes":
                cost += self.node(child)
            elif child.name.value == "edges":
                cost += sum(self.node(n) for n in self.fields(child.selection_set)
                            if n.name.value == "node")
        return cost


@lru_cache(maxsize=256)
def _parsed(query: str) -> DocumentNode:
    return parse(query)


def estimate_query_cost(query: str, variables: dict | None = None) -> int:
    document = _parsed(query)
    estimator = _Estimator(document, variables or {})
    total = 0
    for definition in document.definitions:
        if not isinstance(definition, OperationDefinitionNode):
            continue
        defaults = {v.variable.name.value: value_from_ast_untyped(v.default_value)
                    for v in definition.variable_definitions or () if v.default_value}
        estimator.variables = {**defaults, **(variables or {})}
        if definition.operation == OperationType.MUTATION:
            total += MUTATION_COST * len(list(estimator.fields(definition.selection_set)))
        else:
            total += estimator.selection(definition.selection_set)
    return total


def _shape_key(query: str, variables: dict | None) -> str:
    """Requested cost depends on the document and its page sizes, not cursors."""
    shape = {k: (v if isinstance(v, int) else len(v)) for k, v in (variables or {}).items()
             if isinstance(v, (int, list))}
    return query + "\0" + json.dumps(shape, sort_keys=True)


class QueryCostMemo:
    """Remembers Shopify's requestedQueryCost per document and page sizes."""

    def __init__(self, max_entries: int = 512):
        self._costs: OrderedDict[str, float] = OrderedDict()
        self._max_entries = max_entries
        self._lock = threading.Lock()

    def estimate(self, query: str, variables: dict | None = None) -> float:
        with self._lock:
            seen = self._costs.get(_shape_key(query, variables))
        return seen if seen is not None else float(estimate_query_cost(query, variables))

    def remember(self, query: str, variables: dict | None, requested_cost: float) -> None:
        key = _shape_key(query, variables)
        with self._lock:
            self._costs[key] = float(requested_cost)
            self._costs.move_to_end(key)
            while len(self._costs) > self._max_entries:
                self._costs.popitem(last=False)
