"""`selfhost cluster`: run and live-migrate apps across the nodes of a Ray cluster.

The layer above host/'s runtimes (it may import host/, nothing below imports it). One Ray actor
per node (agent.NodeAgent) runs the apps placed there through the selfhost command line
(`python -m host.cli run/restore` as subprocesses); one detached named actor
(controller.Controller) keeps the cluster's state: apps, nodes, snapshots, moves, output
streams. local.py starts a cluster of several Ray nodes on this machine, on loopback only;
cli.py is `selfhost cluster ...`. docs/cluster.md describes the design and the failure model.
Ray is an optional dependency (`pip install selfhost[cluster]`); only agent.py, controller.py,
local.py and cli.py's connection code import it.
"""
NAMESPACE = "selfhost"
CONTROLLER_NAME = "selfhost-controller"
RUNTIME_RESOURCE = "runtime_%s"          # a node offering runtime R has {"runtime_R": 1}
NODE_RESOURCE = "selfhost_node_%d"       # local cluster: node N also has {"selfhost_node_N": 1}
HEAD_RESOURCE = "selfhost_head"          # local cluster: the head node (controller only)
