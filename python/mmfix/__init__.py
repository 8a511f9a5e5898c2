"""mmfix helpers for the embedded interpreter.

These modules run inside mmfix (src/pyload.c), never as a program of their
own: unpickle.py is the restricted unpickler for Mailman 2 pickles,
selftest.py serves the unit tests of pyload_call().
"""
