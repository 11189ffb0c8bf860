"""docgen — records and documents for "双随机、一公开" joint inspections."""

__version__ = "0.1.0"
