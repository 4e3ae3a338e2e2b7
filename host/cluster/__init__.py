"""`selfhost cluster`: run and live-migrate apps across the nodes of a Ray cluster.

Part of host/: one Ray actor per node (agent.NodeAgent) runs the apps placed there under that
node's host runtime, through host.launch and host.runtimes like `selfhost run` and `selfhost
restore` (any runtime of host.runtimes.RUNTIMES per node); one detached named actor
(controller.Controller) keeps the cluster's state: apps, nodes, snapshots, moves, output
streams. local.py starts a cluster of several Ray nodes on this machine, on loopback only;
client.py is the connection the command (host/commands/cluster.py) and the tests use.
docs/cluster.md describes the design and the failure model. Ray is an optional dependency
(`pip install selfhost[cluster]`), imported only when a cluster is used.
"""
NAMESPACE = "selfhost"
CONTROLLER_NAME = "selfhost-controller"
RUNTIME_RESOURCE = "runtime_%s"          # a node offering runtime R has {"runtime_R": 1}
NODE_RESOURCE = "selfhost_node_%d"       # local cluster: node N also has {"selfhost_node_N": 1}
HEAD_RESOURCE = "selfhost_head"          # local cluster: the head node (controller only)
