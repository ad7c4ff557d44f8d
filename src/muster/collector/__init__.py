"""The network collector: turning a site's subnets into Observations, within its scope."""
