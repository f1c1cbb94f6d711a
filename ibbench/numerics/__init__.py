"""Shared numerics: one copy of each routine (kNN radii, entropies, linear algebra, randomness).

Nothing in this package imports the rest of ibbench.
"""
