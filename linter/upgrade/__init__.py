"""`stackalign upgrade`: what moving to another platform (or LlamaStack) release breaks, and the
migration that fixes what can be fixed safely.

The plan lints the repository three times with the engine as it is: under the current target
(`before`), under the new target with the upgrade itself applied in memory (the Subscription channel
and the servers' images: `upgraded`), and with the whole migration applied (`migrated`). Findings are
compared by fingerprint: new under the new target = what the upgrade breaks; gone = what it
resolves; both = what stays. The migration rewrites run configs to the new runtime's layout with
ruamel.yaml's round-trip mode (imported only here), keeping the bytes of every line it does not
change; the moves it makes per LlamaStack version boundary are data
(rules/knowledge/migrations/llamastack.yaml).

Modules: data (the migration rules), roundtrip (ruamel load/dump and the merge that keeps untouched
bytes), layout (run-config moves), embedded (run configs inside ConfigMap block scalars), platform
(Subscription, LlamaStackDistribution, ConfigMap key), clients (safe client renames), servers (which
runtime a run config has: the one seam to the deployment model), migrate (the change set), plan
(the comparison), report (text, JSON, Markdown).
"""
