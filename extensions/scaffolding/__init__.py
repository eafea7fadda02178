"""Logic behind the prompture-driver-template: questionnaire checks, layout detection and wiring.

Loaded by ``extensions/jinja_globals.py`` under a unique package name and imported as
``scaffolding`` by ``extensions/wire_checkout.py``, so modules here use relative imports only.
The submodules load through ``module_cache``: their compiled code outlives Copier's clone.
"""

from .module_cache import keep_compiled_submodules

keep_compiled_submodules(__name__)
