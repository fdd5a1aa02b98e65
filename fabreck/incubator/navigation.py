"""Menu entries of the incubator, registered once from IncubatorConfig.ready()."""
