"""The built-in provider simulator behind `jobctl sim`, `jobctl demo` and the tests."""

from jobctl.sim.server import DEFAULT_KEYS, Simulator, Step

__all__ = ["DEFAULT_KEYS", "Simulator", "Step"]
