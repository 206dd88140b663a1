"""parbench's pipeline logic: everything the Snakemake rules call.

Each module does one job over plain data so it can be unit-tested without
Docker; only ``docker``, ``images`` and ``measure`` talk to the engine.
"""
