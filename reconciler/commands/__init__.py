"""One module per sub-command; each exports one click command."""
