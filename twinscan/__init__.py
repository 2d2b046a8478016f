"""twinscan: fail a production build when a twin URL reaches a production artifact."""

__version__ = "0.1.0"
