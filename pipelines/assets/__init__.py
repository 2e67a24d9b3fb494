"""Assets by stage: ingest, geocode, indicators, clusters, ecosystem, publish."""
