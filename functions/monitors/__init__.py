"""Functions that watch the jobs rather than run them: the watchdog and the failure recorder."""
