"""Data access: every DynamoDB read and write goes through the pynamodb models and repositories here."""
