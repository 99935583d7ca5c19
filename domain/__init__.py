"""The rectification ledger's domain: campaign definition, findings, read models."""
