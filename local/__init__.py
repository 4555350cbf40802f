"""The whole service on one machine: embedded AWS (moto), the real handlers, a scheduler and a gateway.

`python -m local` (`make dev`) starts it. Only endpoints differ from AWS: the functions run unchanged.
"""
