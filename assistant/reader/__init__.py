"""The reader: a cross-encoder trained by the project to pick the unit that answers a question
(issue 19). ``assistant.reader.data`` builds its training data from Debian's Dutch documentation."""
