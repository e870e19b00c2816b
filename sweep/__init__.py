"""`mergelint sweep`: search merge parameters, merging and scoring each sampled config as a Ray task.

The only package that imports Ray and Optuna (docs/architecture.md): mergelint's CLI reaches it in
one place, and the checker never does. docs/sweep.md is the user's page.
"""
