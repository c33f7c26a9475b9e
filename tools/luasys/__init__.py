"""The `luasys` command line."""
