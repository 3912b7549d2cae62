"""The root value a request executes against: catalog and webhook fields, mutations, order fields."""
from __future__ import annotations

from .graph import Context, Root
from .mutations import Mutations
from .order_mutations import OrderMutations
from .order_queries import OrderQueries


def full_root(ctx: Context) -> Root:
    return Root(ctx, Mutations(ctx), OrderMutations(ctx, full_root), OrderQueries(ctx, full_root))
