"""qbdesk verify — being written (Step 2)."""


def register(sub) -> None:
    pass
