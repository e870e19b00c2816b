"""The notifications, one module each (as ruff's server has them): METHOD, and `handle(ls, params)` as pygls calls it."""
