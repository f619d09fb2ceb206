"""Demo territories: the account and the profile generators."""
