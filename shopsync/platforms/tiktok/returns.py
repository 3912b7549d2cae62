"""TikTok Shop returns: which units of an order a return covers, and where it stands (§D3)."""
from __future__ import annotations

from dataclasses import dataclass

from shopsync.platforms.tiktok.client import TikTokClient

SEARCH_PATH = "/return_refund/202309/returns/search"
COMPLETE = "RETURN_OR_REFUND_REQUEST_COMPLETE"


@dataclass(frozen=True)
class Return:
    id: str
    order_id: str
    type: str  # REFUND | RETURN_AND_REFUND | REPLACEMENT
    status: str
    line_item_ids: tuple[str, ...]

    @property
    def is_completed_return(self) -> bool:
        """Refunded after the buyer sent the goods back (a refund-only request returns nothing)."""
        return self.status == COMPLETE and self.type == "RETURN_AND_REFUND"


def returns_of_order(client: TikTokClient, order_id: str) -> list[Return]:
    found, page_token = [], None
    while True:
        answer = client.post(SEARCH_PATH, {"order_ids": [str(order_id)]},
                             query={"page_size": 50, "page_token": page_token})
        for row in answer.data.get("return_orders") or ():
            found.append(Return(id=str(row["return_id"]), order_id=str(row.get("order_id") or order_id),
                                type=str(row.get("return_type") or ""), status=str(row.get("return_status") or ""),
                                line_item_ids=tuple(str(line["order_line_item_id"])
                                                    for line in row.get("return_line_items") or ()
                                                    if line.get("order_line_item_id"))))
        page_token = answer.data.get("next_page_token")
        if not page_token:
            return found
