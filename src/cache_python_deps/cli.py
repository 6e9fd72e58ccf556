"""Command line (placeholder until the core lands)."""


def main() -> None:
    raise SystemExit("not yet")
