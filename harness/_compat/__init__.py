"""Compatibility modules: each dependency's internals behind one door, one module each."""
