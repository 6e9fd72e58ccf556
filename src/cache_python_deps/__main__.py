"""``python -m cache_python_deps``."""

from cache_python_deps.cli import main

if __name__ == "__main__":
    main()
