"""Tests of rfs.cache."""
