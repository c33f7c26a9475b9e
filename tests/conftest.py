import sys
from pathlib import Path

# Test helpers (backends.py) are imported by name from every test folder.
sys.path.insert(0, str(Path(__file__).resolve().parent))

# pytester runs pytest on generated projects (the plugin's and `luasys new`'s tests).
pytest_plugins = ["pytester"]
