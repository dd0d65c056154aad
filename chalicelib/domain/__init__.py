"""The domain layer: baoming's dataclasses and rules. Pure: no I/O, no boto3, chalice or jinja2.

Nothing here imports from the other layers (storage, services, web); they all import from here.
"""
