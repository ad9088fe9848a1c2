"""Talking to a partner checkout server: the contract's models, the async
client, auth and tokens, per-basket cookies, endpoints, errors, the exchange log,
and the JSON parsing replies (and cached orders) go through.

Imports no other room of ``services``; the sandbox may import ``api.models``.
"""
