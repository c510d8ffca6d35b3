"""Kestra's expression language (Pebble templates): grammar, parser, AST and name catalogue.

Shared by the compiler (which checks expressions) and the runtime shims (which evaluate them), so
one grammar gives one meaning everywhere. `nodes` and `catalogue` import nothing heavy; `parser`
builds the Lark parser on first use.
"""
