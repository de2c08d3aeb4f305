"""One module per CLI command: parse options, call the logic, render with rich."""
