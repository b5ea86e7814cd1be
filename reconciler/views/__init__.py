"""What the user reads: plans and results as text or Markdown, and the output scrubber."""
