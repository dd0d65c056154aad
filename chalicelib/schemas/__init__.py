"""marshmallow schemas: requests (validation), replies (shapes), and their shared fields."""
