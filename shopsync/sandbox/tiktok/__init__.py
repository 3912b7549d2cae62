"""TikTok Shop simulator: mount `create_blueprint(TikTokSandbox(settings))` at /tiktok."""
from shopsync.sandbox.tiktok.blueprint import create_blueprint
from shopsync.sandbox.tiktok.state import TikTokSandbox

__all__ = ["TikTokSandbox", "create_blueprint"]
