from linter.versions import Version, closest, in_range


def v(s):
    return Version.parse(s)


def test_order_with_prereleases_and_local_labels():
    chain = [
        "0.2.8",
        "0.2.10",
        "0.2.10.1",
        "0.2.22",
        "0.2.22.1+rhai0",
        "0.3.0rc3+rhai0",
        "0.3.0rc4",
        "0.3.0",
        "0.3.5",
        "0.3.5+rhai0",
        "0.3.5.1+rhai0",
        "0.4.2.1+rhai0",
        "0.7.1+rhaiv.1",
        "0.8.0",
    ]
    assert sorted(chain, key=v) == chain


def test_ranges():
    assert in_range(v("0.3.0rc3+rhai0"), None, "0.3.0rc4")
    assert not in_range(v("0.3.0"), None, "0.3.0rc4")
    assert in_range(v("0.2.13"), "0.2.13", None) and not in_range(v("0.2.12"), "0.2.13", None)


def test_minor_line_and_closest():
    assert v("0.3.0rc3+rhai0").line_label == "0.3"
    assert closest("2.16", ["2.22", "2.25", "3.0"]) == "2.22"
