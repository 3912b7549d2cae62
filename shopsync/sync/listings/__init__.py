"""Publishing Shopify products as TikTok listings, checked before they are submitted.

readiness (TikTok's prerequisites) → category (template or TikTok's recommendation) and its
cached rules and attributes → attributes, images, variants, description → TikTok's listing
check → a queue within the daily listing quota → create exactly once → links → audit follow-up.
"""
