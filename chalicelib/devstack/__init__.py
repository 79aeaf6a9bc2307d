"""The local stack: moto in server mode, the API, the stream pump, the schedule and demo data.

Run it with `make run` (`python -m chalicelib.devstack`). Nothing here is deployed.
"""
