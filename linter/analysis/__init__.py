"""What stackalign works out about the repository before any rule runs: which LlamaStack servers it
deploys and what reads or calls them (the deployment model), and the Python code analysis the
checks share. Checks ask these questions; they never answer them on their own."""
