"""What a user runs: the command, its errors and exit codes, reports, the pytest plugin, the installed
wheel, `lifecheck init`, the API reference.
"""
