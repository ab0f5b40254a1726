"""Emit: a Sigma rule to the query text of each SIEM target, through pySigma.

    targets      one record per target (backend, pipelines, executor, platform model, ...)
    datamodels   one declared table per platform (fields, scope, gaps)
    transforms   ruleport's pySigma transformations (approximations noted)
    argv         argv, argument count and user name from what a platform records
    pipelines    processing pipelines built from the tables, by name
    backend_*    stock backends subclassed where they lose meaning
    kibana_kql   ruleport's own Kibana Query Language backend
    core         emit(), prepare()

Importing this package loads pySigma and every backend: the commands that
do not emit (validate) never import it.
"""

from converters.emit.core import Emitted, emit, prepare
from converters.emit.errors import EmitError
from converters.emit.targets import TARGETS, Target

__all__ = ["TARGETS", "Target", "emit", "prepare", "Emitted", "EmitError"]
