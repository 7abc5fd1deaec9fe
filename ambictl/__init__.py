"""ambictl: generate ambigrams, lettering that reads as one word upright and another turned."""

__version__ = "0.1.0"
