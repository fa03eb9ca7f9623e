"""File formats that other systems exchange with us, shared by the services and the CLI.

Each module reads one format into contract commands (or writes it), refusing a file whole
or line by line with the line's number and reason; `examples/` holds a file of each.
"""
