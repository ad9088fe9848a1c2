"""Reusable pieces shared by the screens."""
