"""What the CLI shows: job views and tables, the live watch, progress bars, notices."""
