"""A realistic synthetic review round for demos, tests and benchmarks."""

from qbdesk.demo.generator import DemoRound, build_round, generate_demo

__all__ = ["DemoRound", "build_round", "generate_demo"]
