"""Logic behind the prompture-driver-template: questionnaire checks, layout detection and wiring.

Loaded by ``extensions/jinja_globals.py`` under a unique package name and imported as
``scaffolding`` by ``extensions/wire_checkout.py``, so modules here use relative imports only.
"""
