"""One module per file format. Each turns bytes or text into raw rows (or
located errors) for :mod:`quizzes.validate`; none of them validates content."""
