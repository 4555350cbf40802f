"""`automation`: the DevSphere Automation API from a terminal, for admins and for scripts."""
