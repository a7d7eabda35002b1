"""Local HTTP stand-ins of the services, for tests, the offline demo and docker-compose.

An emulator is built from the wire descriptions in DESIGN.md and recorded real responses, and
never imports the client side (hooks, wire builders, parsers): a misunderstanding shared by
both sides would otherwise pass every test.
"""
