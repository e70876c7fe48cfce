import os

# Tests log complaints far faster than people do; the limits themselves are tested in
# tests/test_rate_limits.py with their own settings.
os.environ.setdefault("CW_INTAKE_RATE", "100000/second")
os.environ.setdefault("CW_FAILED_LOGIN_RATE", "100000/second")
os.environ.setdefault("CW_FAILED_LOGIN_ADDRESS_RATE", "100000/second")
