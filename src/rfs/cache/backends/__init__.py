"""Cache backends, one module each; the Redis ones import redis-py themselves."""
