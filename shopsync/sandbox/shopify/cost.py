"""Shopify's calculated query cost: object 1, scalar/enum 0, connection 2 + items, mutation 10.

The same walk gives the requested cost (items = first/last) and the actual cost (items = what
the response really holds). It also enforces the page-size rules Shopify checks before running.
"""
from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLObjectType,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
)
from graphql.execution.values import get_argument_values

MAX_COST = 1000
MAX_PAGE_SIZE = 250
MUTATION_COST = 10
_MISSING = object()


class CostWalker:
    def __init__(self, schema, fragments: dict, variables: dict):
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.errors: list[GraphQLError] = []

    def operation(self, operation: OperationDefinitionNode, data: Any = _MISSING) -> int:
        if operation.operation == OperationType.MUTATION:
            return MUTATION_COST * len(self._fields(operation.selection_set))
        root = self.schema.query_type
        return self.selection(root, operation.selection_set, data)

    def _fields(self, selection_set: SelectionSetNode | None) -> list[tuple[FieldNode, str | None]]:
        """Flatten fragments into (field, type condition) pairs."""
        found = []
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                found.append((selection, None))
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition.name.value if selection.type_condition else None
                found += [(f, condition or c) for f, c in self._fields(selection.selection_set)]
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is not None:
                    condition = fragment.type_condition.name.value
                    found += [(f, condition) for f, c in self._fields(fragment.selection_set)]
        return found

    def selection(self, parent, selection_set, data: Any = _MISSING) -> int:
        total = 0
        for node, condition in self._fields(selection_set):
            name = node.name.value
            if name.startswith("__"):
                continue
            owner = self.schema.get_type(condition) if condition else parent
            field = getattr(owner, "fields", {}).get(name)
            if field is None:
                continue
            value = _MISSING
            if data is not _MISSING:
                value = data.get(node.alias.value if node.alias else name) if isinstance(data, dict) else None
                if value is None:
                    continue
            total += self.field(node, field, value)
        return total

    def field(self, node: FieldNode, field, value: Any) -> int:
        field_type = field.type
        named = get_named_type(field_type)
        if is_leaf_type(named):
            return 0
        if named.name == "PageInfo":
            return 0
        if named.name.endswith("Connection"):
            return self.connection(node, field, named, value)
        inner = field_type.of_type if is_non_null_type(field_type) else field_type
        if is_list_type(inner) and value is not _MISSING:
            return 1 + max((self.selection(named, node.selection_set, item) for item in value), default=0)
        return 1 + self.selection(named, node.selection_set, value)

    def connection(self, node: FieldNode, field, connection_type: GraphQLObjectType, value: Any) -> int:
        node_type = get_named_type(connection_type.fields["nodes"].type) if "nodes" in connection_type.fields else None
        if value is _MISSING:
            items = self._page_size(node, field)
            per_item = 1
            for sub, _ in self._fields(node.selection_set):
                if sub.name.value == "nodes":
                    per_item = max(per_item, 1 + self.selection(node_type, sub.selection_set))
                elif sub.name.value == "edges":
                    for edge_field, _ in self._fields(sub.selection_set):
                        if edge_field.name.value == "node":
                            per_item = max(per_item, 1 + self.selection(node_type, edge_field.selection_set))
            return 2 + items * per_item
        total = 2
        for sub, _ in self._fields(node.selection_set):
            key = sub.alias.value if sub.alias else sub.name.value
            if sub.name.value == "nodes":
                total = max(total, 2 + sum(1 + self.selection(node_type, sub.selection_set, item)
                                           for item in value.get(key) or ()))
            elif sub.name.value == "edges":
                for edge_field, _ in self._fields(sub.selection_set):
                    if edge_field.name.value == "node":
                        node_key = edge_field.alias.value if edge_field.alias else "node"
                        total = max(total, 2 + sum(
                            1 + self.selection(node_type, edge_field.selection_set, (edge or {}).get(node_key))
                            for edge in value.get(key) or ()))
        return total

    def _page_size(self, node: FieldNode, field) -> int:
        try:
            args = get_argument_values(field, node, self.variables)
        except GraphQLError as error:
            self.errors.append(error)
            return 0
        first, last = args.get("first"), args.get("last")
        if first is None and last is None and ("first" in field.args or "last" in field.args):
            self.errors.append(GraphQLError("you must provide one of first or last", [node],
                                            extensions={"code": "BAD_REQUEST"}))
            return 0
        for name, size in (("first", first), ("last", last)):
            if size is not None and size > MAX_PAGE_SIZE:
                self.errors.append(GraphQLError(
                    f"The page size of {size} for `{node.name.value}` exceeds the maximum of {MAX_PAGE_SIZE}.",
                    [node], extensions={"code": "BAD_REQUEST", "argumentName": name}))
        return max(first or 0, last or 0)


def max_cost_error(cost: int) -> dict:
    return {
        "message": (f"Query cost is {cost}, which exceeds the single query max cost limit ({MAX_COST}).\n\n"
                    "See https://shopify.dev/concepts/about-apis/rate-limits for more information on how the\n"
                    "cost of a query is calculated.\n\n"
                    "To query larger amounts of data with fewer limits, bulk operations should be used instead.\n"
                    "See https://shopify.dev/tutorials/perform-bulk-operations-with-admin-api for usage details.\n"),
        "extensions": {"code": "MAX_COST_EXCEEDED", "cost": cost, "maxCost": MAX_COST,
                       "documentation": "https://shopify.dev/api/usage/limits#rate-limits"},
    }
