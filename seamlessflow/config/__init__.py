"""Seamless's configuration files: clusters.yaml, seamless.yaml, seamless.profile.yaml."""
