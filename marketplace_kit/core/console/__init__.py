"""The operator console's core: the operator audit log, queue assignments and audited decisions."""
