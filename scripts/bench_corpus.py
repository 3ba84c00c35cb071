#!/usr/bin/env python3
"""A generated corpus shaped like ../shared/corpus/perf, for benchmarks in a clean clone.

    python scripts/bench_corpus.py DEST [--files 11426] [--seed 42]

../shared/corpus/perf (14 public repositories, 11,426 YAML files, 123 MB) is absent from a clean
clone; scripts/bench.py then lints this corpus instead, and says so. Its shape follows the measured
shape of the perf corpus, so that the figures stay comparable (they are not equal: the content is
synthetic):

- file sizes drawn from the perf corpus's size quantiles (median 722 B, 90 % 10 KB, 99 % 136 KB,
  a few files of 1-4 MB: CRD bundles and install manifests);
- 29 % of the files hold a string that makes stackalign read them (a trigger: `yaml`, `python`,
  `/spec/channel`, `requirements`, `DataScienceCluster`...), large files far more often than small
  ones (in the perf corpus those files are 75 % of the bytes); the others hold no trigger;
- 9 % multi-document files, 9 % Helm-style templates (`{{ ... }}`, not plain YAML);
- a handful of LlamaStack files (0.1 %): LlamaStackDistributions and run-config ConfigMaps;
- folders 3 to 7 levels deep under 14 repository folders.

Deterministic: the same --files and --seed give the same bytes.
"""

from __future__ import annotations

import argparse
import bisect
import math
import random
import sys
from pathlib import Path

#: (quantile, bytes) of the YAML file sizes of ../shared/corpus/perf (measured; 0 and 1: min, max)
SIZE_QUANTILES = [
    (0.0, 40), (0.1, 138), (0.25, 261), (0.5, 722), (0.75, 2150), (0.9, 10283),
    (0.95, 25201), (0.99, 136361), (0.999, 1489106), (1.0, 3694721),
]  # fmt: skip
PERF_FILES = 11_426
REPOS = [
    "acme__platform-gitops", "acme__cluster-config", "acme__ml-pipelines", "acme__helm-charts",
    "acme__operators-catalog", "acme__monitoring", "acme__apps-team-a", "acme__apps-team-b",
    "acme__ci-catalog", "acme__examples", "acme__policies", "acme__serving", "acme__data", "acme__ai",
]  # fmt: skip
DIRS = ["base", "overlays", "manifests", "components", "apps", "config", "deploy", "charts",
        "templates", "crds", "prod", "staging", "dev", "operators", "tasks", "policies"]  # fmt: skip


def draw_size(rng: random.Random) -> int:
    """A file size from the perf corpus's quantiles, log-linear between them."""
    u = rng.random()
    qs = [q for q, _ in SIZE_QUANTILES]
    i = max(1, bisect.bisect_right(qs, u))
    (q0, s0), (q1, s1) = SIZE_QUANTILES[i - 1], SIZE_QUANTILES[min(i, len(qs) - 1)]
    t = 0.0 if q1 == q0 else (u - q0) / (q1 - q0)
    return int(math.exp(math.log(s0) + t * (math.log(s1) - math.log(s0))))


def grow(head: str, line, size: int, tail: str = "") -> str:
    """`head`, then `line(n)` for n = 0, 1, ... until the text reaches `size` bytes, then `tail`."""
    parts, length, n = [head], len(head) + len(tail), 0
    while length < size:
        parts.append(line(n))
        length += len(parts[-1])
        n += 1
    return "".join(parts) + tail


# -- documents without any trigger string ----------------------------------------------------------
def deployment(i: int, rng: random.Random, size: int) -> str:
    head = (
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-{i}\n"
        f"  labels: {{app: app-{i}, tier: backend}}\nspec:\n  replicas: {rng.randint(1, 5)}\n"
        f"  selector:\n    matchLabels: {{app: app-{i}}}\n  template:\n    metadata:\n"
        f"      labels: {{app: app-{i}}}\n    spec:\n      containers:\n      - name: main\n"
        f"        image: registry.example.com/team/app-{i}:1.{i % 40}.{rng.randint(0, 9)}\n"
        f"        ports: [{{containerPort: 8080}}]\n        env:\n"
    )
    return grow(
        head,
        lambda n: f'        - name: SETTING_{n}\n          value: "{rng.randint(0, 10**6)}"\n',
        size,
    )


def configmap(i: int, rng: random.Random, size: int) -> str:
    head = f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings-{i}\ndata:\n"
    return grow(head, lambda n: f"  key_{n}: 'value {rng.randint(0, 10**9)} for entry {n}'\n", size)


def service(i: int, rng: random.Random, size: int) -> str:
    head = f"apiVersion: v1\nkind: Service\nmetadata:\n  name: svc-{i}\n  annotations:\n"
    tail = f"spec:\n  selector: {{app: app-{i}}}\n  ports: [{{port: 80, targetPort: 8080}}]\n"
    return grow(
        head, lambda n: f'    example.com/note-{n}: "{rng.randint(0, 10**9)}"\n', size, tail
    )


def rbac(i: int, rng: random.Random, size: int) -> str:
    head = f"apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: role-{i}\nrules:\n"
    groups = ["", "apps", "batch", "networking.k8s.io", "example.com"]

    def rule(n: int) -> str:
        a, b = rng.randint(0, 99), rng.randint(0, 99)
        return f'- apiGroups: ["{rng.choice(groups)}"]\n  resources: [res{a}, res{b}]\n  verbs: [get, list, watch]\n'

    return grow(head, rule, size)


def crd(i: int, rng: random.Random, size: int) -> str:
    """A CustomResourceDefinition whose schema grows to `size` (the large files of the corpus)."""
    head = (
        f"apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n"
        f"  name: widgets{i}.example.com\nspec:\n  group: example.com\n  names: {{kind: Widget{i}, "
        f"plural: widgets{i}}}\n  scope: Namespaced\n  versions:\n  - name: v1\n    served: true\n"
        "    storage: true\n    schema:\n      openAPIV3Schema:\n        type: object\n"
        "        properties:\n          spec:\n            type: object\n            properties:\n"
    )

    def field(n: int) -> str:
        return (
            f"              field{n}:\n                description: Field {n} of the widget, "
            f"as set by its owner; defaults to {rng.randint(0, 999)}.\n"
            f"                type: {rng.choice(['string', 'integer', 'boolean'])}\n"
        )

    return grow(head, field, size)


PLAIN_KINDS = [(deployment, 30), (configmap, 20), (service, 15), (rbac, 10), (crd, 5)]


def template(i: int, rng: random.Random, size: int) -> str:
    """A Helm-style template: not plain YAML until rendered."""
    head = (
        f'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{{{ include "chart.fullname" . }}}}-{i}\n'
        '  labels:\n    {{- include "chart.labels" . | nindent 4 }}\nspec:\n'
        "  replicas: {{ .Values.replicaCount }}\n  template:\n    spec:\n      containers:\n"
        '      - name: main\n        image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"\n'
        "        env:\n"
    )

    def feature(n: int) -> str:
        return (
            f"        {{{{- if .Values.feature{n}.enabled }}}}\n        - name: FEATURE_{n}\n"
            f"          value: {{{{ .Values.feature{n}.value | quote }}}}\n        {{{{- end }}}}\n"
        )

    return grow(head, feature, size)


# -- what makes stackalign read a file -------------------------------------------------------------
def with_trigger(text: str, i: int, rng: random.Random) -> str:
    """`text` plus a line that holds a trigger string, in the proportions of the perf corpus."""
    roll = rng.random()
    if roll < 0.60:
        return text + f"# rendered from values-{i}.yaml\n"
    if roll < 0.80:
        return text + f"# build: python -m tools.render app-{i}\n"
    if roll < 0.88:
        return text + "# installs requirements before the job starts\n"
    if roll < 0.94:
        return text + "# runs in a shell step of the pipeline\n"
    return text + "# example notebook for this service\n"


def channel_patch(i: int, rng: random.Random) -> str:
    channel = rng.choice(["stable-2.25", "fast", "stable-3.3", "eus-2.16", "stable"])
    return f"- op: replace\n  path: /spec/channel\n  value: {channel}\n"


def datasciencecluster(i: int, rng: random.Random) -> str:
    return (
        "apiVersion: datasciencecluster.opendatahub.io/v1\nkind: DataScienceCluster\n"
        f"metadata:\n  name: dsc-{i}\nspec:\n  components:\n    dashboard: {{managementState: Managed}}\n"
        "    workbenches: {managementState: Managed}\n"
    )


def llamastack(i: int, rng: random.Random) -> str:
    tag = rng.choice(["0.2.22", "0.3.0", "0.2.8"])
    return (
        "apiVersion: llamastack.io/v1alpha1\nkind: LlamaStackDistribution\n"
        f"metadata: {{name: llama-{i}}}\nspec:\n  server:\n    distribution:\n"
        f"      image: llamastack/distribution-starter:{tag}\n    userConfig:\n"
        f"      configMapName: llama-config-{i}\n---\napiVersion: v1\nkind: ConfigMap\n"
        f"metadata: {{name: llama-config-{i}}}\ndata:\n  run.yaml: |\n    version: 2\n"
        "    image_name: rh\n    apis: [inference, vector_io]\n    providers:\n      inference:\n"
        "      - provider_id: vllm\n        provider_type: remote::vllm\n"
        '        config: {url: "${env.VLLM_URL:=http://vllm:8000/v1}"}\n'
    )


def document(i: int, rng: random.Random, size: int) -> tuple[str, str]:
    """(file suffix, text) of one file of about `size` bytes."""
    roll = rng.random()
    if roll < 0.001:
        return ".yaml", llamastack(i, rng)
    if roll < 0.026:
        return ".yaml", channel_patch(i, rng)
    if roll < 0.034:
        return ".yaml", datasciencecluster(i, rng)
    if roll < 0.124:
        text = template(i, rng, size)
    else:
        kinds, weights = zip(*PLAIN_KINDS, strict=True)
        kind = crd if size > 500_000 else rng.choices(kinds, weights)[0]
        if roll < 0.214:  # multi-document
            parts = rng.randint(2, 5)
            text = "---\n".join(kind(i * 10 + k, rng, size // parts) for k in range(parts))
        else:
            text = kind(i, rng, size)
    hit = rng.random() < (0.85 if size > 10_000 else 0.22)
    if hit:
        text = with_trigger(text, i, rng)
    return (".yml" if rng.random() < 0.02 else ".yaml"), text


def generate(dest: Path, n_files: int = PERF_FILES, seed: int = 42) -> list[Path]:
    """Write `n_files` YAML files under `dest` (which must not exist); return their paths."""
    rng = random.Random(seed)
    dest.mkdir(parents=True)
    written = []
    for i in range(n_files):
        size = draw_size(rng)
        suffix, text = document(i, rng, size)
        depth = rng.choices([1, 2, 3, 4, 5, 6], [2, 12, 26, 39, 13, 8])[0]
        folders = [rng.choice(REPOS)] + [rng.choice(DIRS) for _ in range(depth)]
        path = dest.joinpath(*folders, f"{rng.choice(DIRS)}-{i}{suffix}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dest", type=Path, help="a folder to create")
    ap.add_argument("--files", type=int, default=PERF_FILES)
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args(argv)
    if args.dest.exists():
        print(f"{args.dest} exists: give a new folder", file=sys.stderr)
        return 2
    files = generate(args.dest, args.files, args.seed)
    mb = sum(p.stat().st_size for p in files) / 1e6
    print(f"wrote {len(files)} YAML files ({mb:.1f} MB) under {args.dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
