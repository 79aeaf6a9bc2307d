"""DynamoDB adapters: table definitions, key builders, the store handle."""
