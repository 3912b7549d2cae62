import pytest

from shopsync.blueprints.safety import safe_next_url


@pytest.mark.parametrize("value", [
    "https://evil.com", "//evil.com", "/\\evil.com", "\\\\evil.com", "http:/evil.com", "javascript:alert(1)",
    "evil.com", "/\nLocation: x", "", None, " //evil.com",
])
def test_rejects_other_origins(value):
    assert safe_next_url(value) is None


@pytest.mark.parametrize("value", ["/", "/product-links?state=error", "/products/5"])
def test_keeps_local_paths(value):
    assert safe_next_url(value) == value
