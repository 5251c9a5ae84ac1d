"""Mechanisms written once and used by every route."""
