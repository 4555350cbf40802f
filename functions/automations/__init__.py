"""Domain logic of the four automations: what one run of each job does to platform data."""
