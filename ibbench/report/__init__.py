"""Leaderboard tables and plots."""
