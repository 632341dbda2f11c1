"""A realistic synthetic review round for demos, tests and benchmarks."""

from qbdesk.demo.generator import DemoRound, RoundPlan, build_round, generate_demo, write_round

__all__ = ["DemoRound", "RoundPlan", "build_round", "generate_demo", "write_round"]
