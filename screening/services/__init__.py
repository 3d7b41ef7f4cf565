"""Services between the views (and the CLI) and the store, one module per audience: intake (patients), review
(clinicians), clinic (administration). Each takes the database, the settings and plain values, does its work in one
write transaction with the mails and audit events it causes, and wakes the mail sender after the commit."""
