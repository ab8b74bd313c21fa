"""Training data for the reader, from Debian's Dutch documentation packages.

``extract`` downloads and converts the packages listed in ``packages.toml`` to text, ``passages``
cuts them into the passages and units the index would show and writes the question writers'
batches, ``negatives`` turns the written questions into training lines with hard negatives.
"""
