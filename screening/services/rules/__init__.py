"""The clinic's rule set at run time: the rule book, the catalogue clinicians read, and replay."""
