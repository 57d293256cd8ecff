"""`make bench`: FlowPilot measured on gunicorn, PostgreSQL, Redis and a real Celery worker.

`python -m bench` starts the whole production-shaped stack on loopback ports (gunicorn, a Celery
worker, the ConnectWise simulator, the Claude stub), seeds a fresh account, measures, and prints one
table. Timings are medians with their spread, and every timing target is a ratio against a baseline
measured in the same run, interleaved request by request, so a slower or busier machine moves both.
"""
