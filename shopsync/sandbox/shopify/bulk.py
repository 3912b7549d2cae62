"""Bulk query operations: check the inner query as Shopify does, then stream JSONL to a file.

Each connection node becomes one line; nodes of nested connections follow their parent with
`__parentId`; non-connection objects stay inline. Page-size arguments are ignored (Shopify
paginates by itself), filters such as `query:` apply.
"""
from __future__ import annotations

import json
from typing import Any, Callable, TextIO

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    get_named_type,
    is_leaf_type,
)
from graphql.execution.values import get_argument_values

from .schema import admin_schema, checked_document

MAX_CONNECTIONS = 5
MAX_DEPTH = 2


class BulkQueryError(Exception):
    def __init__(self, message: str, code: str = "INVALID"):
        super().__init__(message)
        self.message, self.code = message, code


def _is_connection(field_def) -> bool:
    return get_named_type(field_def.type).name.endswith("Connection")


class Plan:
    """A checked bulk query: what to fetch and how it is laid out in the file."""

    def __init__(self, text: str):
        document, errors = checked_document(text)
        if errors:
            raise BulkQueryError("Invalid bulk query: " + errors[0].message)
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        if len(operations) != 1 or operations[0].operation.value != "query":
            raise BulkQueryError("Bulk queries must contain exactly one query operation.")
        if operations[0].variable_definitions:
            raise BulkQueryError("Bulk queries cannot use variables.")
        self.fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        self.operation = operations[0]
        self.schema = admin_schema()
        self._args: dict[int, dict] = {}
        self.connections = 0
        self._check(self.schema.query_type, self.operation.selection_set, depth=0, parent_has_id=True)
        if self.connections == 0:
            raise BulkQueryError("Bulk queries must contain at least one connection.")

    def fields(self, selection_set, typename: str | None = None):
        """(field node, type condition) pairs, fragments flattened; filtered by typename when given."""
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                yield selection, None
                continue
            if isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition.name.value if selection.type_condition else None
                inner = selection.selection_set
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments[selection.name.value]
                condition, inner = fragment.type_condition.name.value, fragment.selection_set
            else:
                continue
            if typename is None or condition in (None, typename) or self._implements(typename, condition):
                for found, own in self.fields(inner, typename):
                    yield found, own or condition

    def _implements(self, typename: str, condition: str) -> bool:
        concrete, abstract = self.schema.get_type(typename), self.schema.get_type(condition)
        return bool(concrete and abstract and self.schema.is_sub_type(abstract, concrete)) \
            if hasattr(abstract, "fields") or hasattr(abstract, "types") else False

    def _check(self, parent, selection_set, depth: int, parent_has_id: bool) -> None:
        selections = list(self.fields(selection_set))
        has_id = any(f.name.value == "id" and f.alias is None for f, _ in selections)
        for node, condition in selections:
            owner = self.schema.get_type(condition) if condition else parent
            field_def = getattr(owner, "fields", {}).get(node.name.value)
            if field_def is None:
                continue
            named = get_named_type(field_def.type)
            if _is_connection(field_def):
                self.connections += 1
                if self.connections > MAX_CONNECTIONS:
                    raise BulkQueryError(f"Bulk queries cannot contain more than {MAX_CONNECTIONS} connections.")
                if depth >= MAX_DEPTH:
                    raise BulkQueryError(f"Bulk queries cannot contain connections with a nesting depth "
                                         f"greater than {MAX_DEPTH}.")
                if depth > 0 and not has_id:
                    raise BulkQueryError("The parent 'node' field for a nested connection must select the 'id' "
                                         "field without an alias and must be of 'ID' return type.")
                node_type = get_named_type(named.fields["nodes"].type)
                for sub, _ in self.fields(node.selection_set):
                    if sub.name.value == "nodes":
                        self._check(node_type, sub.selection_set, depth + 1, False)
                    elif sub.name.value == "edges":
                        for edge_field, _ in self.fields(sub.selection_set):
                            if edge_field.name.value == "node":
                                self._check(node_type, edge_field.selection_set, depth + 1, False)
            elif not is_leaf_type(named):
                self._check(named, node.selection_set, depth, parent_has_id)

    def args(self, owner, node: FieldNode) -> dict:
        cached = self._args.get(id(node))
        if cached is None:
            field_def = owner.fields[node.name.value]
            try:
                cached = get_argument_values(field_def, node, {})
            except GraphQLError as error:
                raise BulkQueryError(error.message) from None
            for size in ("first", "last", "after", "before"):
                cached.pop(size, None)
            self._args[id(node)] = cached
        return cached


class Exporter:
    """Writes one JSON object per line; counts objects and root objects."""

    def __init__(self, plan: Plan, out: TextIO, cancelled: Callable[[], bool] = lambda: False):
        self.plan, self.out, self.cancelled = plan, out, cancelled
        self.object_count = 0
        self.root_object_count = 0
        self._compiled_cache: dict = {}
        self._dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode

    def run(self, root: Any) -> None:
        _, nested = self._object(root, self.plan.schema.query_type, self.plan.operation.selection_set)
        self._emit_children(nested, parent_id=None, depth=0)

    def _resolve(self, view: Any, owner, node: FieldNode, connection: bool):
        name = node.name.value
        value = view.get(name) if isinstance(view, dict) else getattr(view, name, None)
        if callable(value):
            args = self.plan.args(owner, node)
            value = value(None, all_items=True, **args) if connection else value(None, **args)
        return value

    def _compiled(self, type_, selection_set, typename: str | None) -> list[tuple]:
        """Per (selection, concrete type): (key, name, owner, field type, is connection, is leaf)."""
        cache_key = (id(selection_set), typename)
        compiled = self._compiled_cache.get(cache_key)
        if compiled is None:
            compiled = []
            for node, condition in self.plan.fields(selection_set, typename):
                key = node.alias.value if node.alias else node.name.value
                if node.name.value == "__typename":
                    compiled.append((key, node, None, None, False, True))
                    continue
                owner = self.plan.schema.get_type(condition) if condition else type_
                field_def = getattr(owner, "fields", {}).get(node.name.value)
                if field_def is not None:
                    named = get_named_type(field_def.type)
                    compiled.append((key, node, owner, named, _is_connection(field_def), is_leaf_type(named)))
            self._compiled_cache[cache_key] = compiled
        return compiled

    def _object(self, view: Any, type_, selection_set) -> tuple[dict, list]:
        """Inline fields into a dict; nested connections are returned for writing after this line."""
        typename = getattr(view, "typename", None) or (view.get("__typename") if isinstance(view, dict) else None)
        line: dict = {}
        nested: list = []
        for key, node, owner, named, is_connection, is_leaf in self._compiled(type_, selection_set, typename):
            if owner is None:
                line[key] = typename
            elif is_connection:
                nested.append((self._resolve(view, owner, node, connection=True), named, node))
            else:
                value = self._resolve(view, owner, node, connection=False)
                if value is None or is_leaf:
                    line[key] = value
                elif isinstance(value, list):
                    line[key] = [self._object(item, named, node.selection_set)[0] for item in value]
                else:
                    line[key], inner = self._object(value, named, node.selection_set)
                    nested += inner
        return line, nested

    def _emit_children(self, nested: list, parent_id: str | None, depth: int) -> None:
        for connection, connection_type, node in nested:
            node_type = get_named_type(connection_type.fields["nodes"].type)
            selection = None
            for sub, _ in self.plan.fields(node.selection_set):
                if sub.name.value == "nodes":
                    selection = sub.selection_set
                elif sub.name.value == "edges":
                    selection = next((e.selection_set for e, _ in self.plan.fields(sub.selection_set)
                                      if e.name.value == "node"), selection)
            if selection is None:
                continue
            for item in connection["nodes"]:
                if self.cancelled():
                    return
                line, inner = self._object(item, node_type, selection)
                if parent_id is None:
                    self.root_object_count += 1
                else:
                    line["__parentId"] = parent_id
                self.out.write(self._dumps(line))
                self.out.write("\n")
                self.object_count += 1
                if inner:
                    self._emit_children(inner, line.get("id") or getattr(item, "id", None), depth + 1)
