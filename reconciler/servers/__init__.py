"""The servers a plan is made for and carried out on, one module per kind (docs/targets.md).

`protocol` is the interface apply drives every server through; `targets` turns `--target` into
one of: the embedded `simulator`, a collector `snapshot`, a configuration export (`serverconfig`),
or a live server (`powershell` over a `transports` one).
"""
