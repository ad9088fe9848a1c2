"""Exchanges turned into files a user takes elsewhere: curl commands and HAR.

May import ``api`` and ``store``.
"""
