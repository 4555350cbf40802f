"""The run lifecycle: starting, continuing, finishing and watching runs."""
