"""Hypothesis profiles: CI runs derandomized so a red build is reproducible; soak runs long.

``HYPOTHESIS_PROFILE=soak`` is for a deep run outside CI: random, more examples in the
differential harness (``LIFECHECK_SOAK_EXAMPLES``, see tests/engines/test_differential.py).
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile("ci", derandomize=True, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", deadline=None)
settings.register_profile("soak", deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))
