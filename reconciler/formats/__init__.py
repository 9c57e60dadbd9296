"""Files and formats: YAML and JSON read safely, the schemas, files written atomically, locks."""
