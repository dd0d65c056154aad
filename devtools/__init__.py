"""Local development and test tooling. Never shipped to Lambda (outside chalicelib/)."""
