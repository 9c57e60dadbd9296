"""One module per subcommand; each exposes a plain function taking parsed arguments, returning an exit code."""
