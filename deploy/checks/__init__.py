"""Static checks of CryoLedger's deployment files (deploy/container/, deploy/compose.yaml, deploy/k8s/).

One module per concern; each check returns a Findings (problems and notes) and never exits.
`python -m checks` (run by deploy/check-static) runs the unit tests and then every check.
"""
