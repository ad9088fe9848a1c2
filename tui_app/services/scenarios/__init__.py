"""Scenarios: the file format and its checks, replay against a server, record
from a session's exchanges, and the reports of a run.

May import ``api`` and ``store``.
"""
