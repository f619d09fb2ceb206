"""Demo territories both sides fill their stores with: the account and the profile generators."""
