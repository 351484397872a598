"""Mass incidents (C12): one system problem, the appeals it caused, solved together."""
