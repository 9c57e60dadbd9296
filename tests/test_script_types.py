"""Every member access and method call on an ADSync object, in every script the tool writes or runs,
names a member the real object model of build 2.2.8.0 has.

A small type inference over the tree-sitter-powershell tree follows the objects the ADSync cmdlets
return, with the types of `tests/fixtures/adsync-2.2.8.0-cmdlets-used.json` (read through
`tests.test_cmdlet_surface`):

- a command's value is its cmdlet's output type (`outputs`, read from the cmdlet's WriteObject calls);
  `Where-Object`, `Select-Object -First`, `Sort-Object` pass their input type on, and a function the
  script defines returns the type of its body, with its parameters typed from the call site;
- `$_` inside a script block given to a command after it in a pipeline is one input object;
- a variable takes the type of what is assigned to it, `-OutVariable name` makes `$name` a list of
  the output type, and a `foreach` variable is one element of the collection it loops over;
- `@(...)`, `List`1`/`IList`1` and PowerShell's member enumeration on a collection (`$rules.Name`)
  are followed to their element type; indexing a `ParameterKeyedCollection` gives its item type;
- a property has its declared type (`types`); a cast to `[string]` makes a string;
- an entry of a script's own hashtable (`$Run.Rules = @(Get-ADSyncRule)`) takes the type of what
  is stored in it, within the function that stores it.

On a value so typed: a property must be one the type declares; a method must be one of System.Object's
(ToString, Equals, GetHashCode, GetType), or a .NET string method where the value is a string. An
ADSync type the fixture does not describe is reported too, so the fixture grows with the scripts.

What it cannot infer, and so does not check: values that do not come from an ADSync cmdlet (registry
items, `Get-Date`, parameters given as text); `ForEach-Object` and `Select-Object -Property`
output; dynamic member names (`$item.$ValueName`); variables assigned in one function and read in
another (each function is followed from its call sites only with its parameters); a variable whose
assignments disagree (the last one seen wins, in text order, whatever the branches); methods other
than System.Object's that the ADSync classes do have (the fixture lists properties only, so such a
call is reported: none of the scripts needs one); and what other System types (Guid, TimeSpan) offer
(a property of one of them, reached from an ADSync object, is reported as unchecked).
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from tree_sitter import Node

from reconciler import cmdlets
from reconciler.errors import UserError
from reconciler.planning import scripts
from reconciler.reports import powershell as psplan
from reconciler.servers import powershell
from tests.reports.test_powershell import scenarios
from tests.scenario import apply, make_plan, rollback, server, state
from tests.test_cmdlet_surface import indexers, object_types, output_types
from tests.test_cmdlets import NASTY, live_scripts, named_script, parse, plan_scripts

NAMESPACE = "Microsoft.IdentityManagement.PowerShell.ObjectModel."
OBJECT_METHODS = {"tostring", "equals", "gethashcode", "gettype"}
# System.String's members (.NET Framework 4.x, which Windows PowerShell 5.1 runs on).
STRING_MEMBERS = {
    "length",
    "chars",
    "clone",
    "compareto",
    "contains",
    "copyto",
    "endswith",
    "equals",
    "getenumerator",
    "gethashcode",
    "gettype",
    "gettypecode",
    "indexof",
    "indexofany",
    "insert",
    "isnormalized",
    "lastindexof",
    "lastindexofany",
    "normalize",
    "padleft",
    "padright",
    "remove",
    "replace",
    "split",
    "startswith",
    "substring",
    "tochararray",
    "tolower",
    "tolowerinvariant",
    "tostring",
    "toupper",
    "toupperinvariant",
    "trim",
    "trimend",
    "trimstart",
}
COLLECTION_MEMBERS = {"count", "length", "item"}
PASS_THROUGH = {"where-object", "where", "?", "sort-object", "sort"}
# Each cast PowerShell gives a string: its .NET string methods are then allowed.
STRING_CASTS = {"string", "system.string"}

Type = str | None  # a .NET type name, "X[]" for a collection of X, None when not known


def element(t: Type) -> Type:
    """The element type of a collection type, or None when `t` is not one."""
    if t is None:
        return None
    if t.endswith("[]"):
        return t[:-2]
    found = re.fullmatch(r"System\.Collections\.Generic\.I?List`1<(.*)>", t)
    return found.group(1) if found else None


def items(t: Type) -> Type:
    """What a pipeline or `foreach` gets from a value: its elements, or the value itself."""
    inner = element(t)
    return t if inner is None else items(inner)


@dataclasses.dataclass
class Checker:
    types: dict[str, dict[str, str]]
    outputs: dict[str, str | None]
    findings: list[str] = dataclasses.field(default_factory=list)
    functions: dict[str, Node] = dataclasses.field(default_factory=dict)
    returns: dict[tuple[int, tuple[Type, ...]], Type] = dataclasses.field(default_factory=dict)

    # --- the checks -------------------------------------------------------------------------

    def report(self, node: Node, message: str) -> None:
        line = node.start_point[0] + 1
        text = (node.text or b"").decode().splitlines()[0][:80]
        entry = f"line {line}: {message} ({text})"
        if entry not in self.findings:
            self.findings.append(entry)

    def member(self, node: Node, receiver: Type, name: str, call: bool) -> Type:
        """The type of `receiver.name` (or of the call `receiver.name(...)`), reporting what is not there."""
        if receiver is None:
            return None
        key = name.lower()
        inner = element(receiver)
        if inner is not None:
            if key in COLLECTION_MEMBERS or (call and key in OBJECT_METHODS):
                return "int" if key in ("count", "length") else None
            found = self.member(node, inner, name, call)  # PowerShell's member enumeration
            return None if found is None else found + "[]"
        if receiver in ("string", "System.String"):
            if key not in STRING_MEMBERS:
                self.report(node, f"a string has no member {name}")
            return "int" if key == "length" else None
        if call:
            if key not in OBJECT_METHODS:
                kind = receiver.removeprefix(NAMESPACE)
                self.report(node, f"{kind} has no method {name} (.NET string methods are for strings only)")
            return "string" if key == "tostring" else None
        if not receiver.startswith(NAMESPACE):
            self.report(node, f"{receiver}.{name}: no member checked on this type; see the test's docstring")
            return None
        kind = receiver.removeprefix(NAMESPACE)
        properties = self.types.get(kind)
        if properties is None:
            self.report(node, f"{kind}: not described by the fixture's types")
            return None
        declared = {p.lower(): t for p, t in properties.items()}
        if key not in declared:
            self.report(node, f"{kind} has no property {name}")
            return None
        return _qualified(declared[key])

    # --- the inference -------------------------------------------------------------------------

    def infer(self, node: Node, env: dict[str, Type]) -> Type:
        """The type of `node`'s value (None when not known), checking every access inside it."""
        handler = getattr(self, "_" + node.type, None)
        if handler is not None:
            result: Type = handler(node, env)
            return result
        found: list[Type] = [self.infer(child, env) for child in node.children]
        named = [t for child, t in zip(node.children, found, strict=True) if child.is_named]
        return named[0] if len(named) == 1 else None

    def _variable(self, node: Node, env: dict[str, Type]) -> Type:
        return env.get((node.text or b"").decode().lower())

    def _member_access(self, node: Node, env: dict[str, Type]) -> Type:
        target, *_, name = node.children
        receiver = self.infer(target, env)
        if name.type != "member_name" or name.children[0].type != "simple_name":
            return None  # $item.$ValueName: a dynamic name
        operator = node.children[1].type
        if operator == "::":
            return None
        entry = _entry(node)
        if receiver is None and entry in env:
            return env[entry]  # a hashtable's entry, typed by what the script stored in it
        return self.member(name, receiver, (name.text or b"").decode(), call=False)

    def _invokation_expression(self, node: Node, env: dict[str, Type]) -> Type:
        target = node.children[0]
        receiver = self.infer(target, env)
        name = next((c for c in node.children if c.type == "member_name"), None)
        for child in node.children:
            if child.type == "argument_list":
                self.infer(child, env)
        if name is None or node.children[1].type == "::" or name.children[0].type != "simple_name":
            return None
        return self.member(name, receiver, (name.text or b"").decode(), call=True)

    def _element_access(self, node: Node, env: dict[str, Type]) -> Type:
        receiver = self.infer(node.children[0], env)
        for child in node.children[1:]:
            self.infer(child, env)
        if receiver is not None and receiver in indexers():
            return indexers()[receiver]
        if element(receiver) is not None:
            return element(receiver)
        # One object indexed with [0] is itself (a command's single result, e.g. (Get-ADSyncRule)[0]).
        return receiver if receiver is not None and receiver.startswith(NAMESPACE) else None

    def _array_expression(self, node: Node, env: dict[str, Type]) -> Type:
        inner = [self.infer(child, env) for child in node.children if child.is_named]
        last = inner[-1] if inner else None
        return None if last is None else items(last) + "[]"

    def _cast_expression(self, node: Node, env: dict[str, Type]) -> Type:
        for child in node.children:
            self.infer(child, env)
        cast = (node.children[0].text or b"").decode().strip("[]").lower()
        return "string" if cast in STRING_CASTS else None

    def _statement_list(self, node: Node, env: dict[str, Type]) -> Type:
        last: Type = None
        for child in node.children:
            if child.is_named:
                last = self.infer(child, env)
        return last

    def _assignment_expression(self, node: Node, env: dict[str, Type]) -> Type:
        left, _, right = node.children
        value = self.infer(right, env)
        target = _strip(left)
        if target.type == "variable":
            env[(target.text or b"").decode().lower()] = value
        elif target.type == "member_access" and _entry(target) and self.infer(target.children[0], env) is None:
            env[_entry(target)] = value  # $Run.Rules = @(Get-ADSyncRule): an entry of a script's hashtable
        else:
            self.infer(left, env)  # $rule.Disabled = ...: the property must exist
        return None

    def _foreach_statement(self, node: Node, env: dict[str, Type]) -> Type:
        variable = next(c for c in node.children if c.type == "variable")
        source = next(c for c in node.children if c.type == "pipeline")
        env[(variable.text or b"").decode().lower()] = items(self.infer(source, env))
        body = next(c for c in node.children if c.type == "statement_block")
        self.infer(body, env)
        return None

    def _function_statement(self, node: Node, env: dict[str, Type]) -> Type:
        name = next(c for c in node.children if c.type == "function_name")
        self.functions[(name.text or b"").decode().lower()] = node
        self.call(node, [], {}, env)  # checked on its own too, its parameters as they are declared
        return None

    def _pipeline_chain(self, node: Node, env: dict[str, Type]) -> Type:
        flowing: Type = None
        for index, stage in enumerate(c for c in node.children if c.is_named):
            if stage.type == "command":
                flowing = self.command(stage, flowing, index > 0, env)
            else:
                flowing = self.infer(stage, env)
        return flowing

    # --- commands and functions ----------------------------------------------------------------

    def command(self, node: Node, piped: Type, in_pipeline: bool, env: dict[str, Type]) -> Type:
        name_node = next((c for c in node.children if c.type == "command_name"), None)
        name = (name_node.text or b"").decode() if name_node is not None else ""
        elements = next((c for c in node.children if c.type == "command_elements"), None)
        arguments = [c for c in elements.children if c.type != "command_argument_sep"] if elements else []
        # After a pipe, $_ in its script blocks is one input object; otherwise it is the outer one.
        scoped = {**env, "$_": items(piped), "$psitem": items(piped)} if in_pipeline else env
        positional: list[Type] = []
        named: dict[str, Type] = {}
        out_variable = None
        pending = None
        for argument in arguments:
            if argument.type == "command_parameter":
                pending = (argument.text or b"").decode().lstrip("-").rstrip(":").lower()
                continue
            value = self.infer(argument, scoped)
            if pending == "outvariable":
                out_variable = (argument.text or b"").decode().strip("'\"").lower()
            elif pending is not None:
                named[pending] = value
            else:
                positional.append(value)
            pending = None
        result: Type
        # A command's value is its stream of objects: one object, or many, which member access treats alike.
        if name in self.outputs:
            result = self.outputs[name]
        elif name.lower() in PASS_THROUGH or (name.lower() == "select-object" and "property" not in named):
            result = items(piped)
        elif name.lower() in self.functions:
            result = self.call(self.functions[name.lower()], positional, named, env)
        else:
            result = None
        if out_variable is not None:
            env["$" + out_variable] = None if result is None else items(result) + "[]"  # always a list
        return result

    def call(self, function: Node, positional: list[Type], named: dict[str, Type], env: dict[str, Type]) -> Type:
        """The type a script function's body returns, its parameters typed by the call."""
        parameters = _parameters(function)
        scope = {k: v for k, v in env.items() if k != "$_"}
        for index, (parameter, declared) in enumerate(parameters):
            given = named.get(parameter.lstrip("$"), positional[index] if index < len(positional) else None)
            scope[parameter] = "string" if declared in STRING_CASTS else given
        key = (function.start_byte, tuple(scope[p] for p, _ in parameters))
        body = next(c for c in function.children if c.type == "script_block")
        if key not in self.returns:
            self.returns[key] = None  # while it is followed: a recursive call's type is not known
            self.returns[key] = self.infer(body, scope)
        return self.returns[key]


def _entry(node: Node) -> str:
    """`$name.Key` as a key of the inference's variables (for a hashtable's entries), else ''."""
    target, *_, name = node.children
    if target.type != "variable" or node.children[1].type != "." or name.type != "member_name":
        return ""
    return f"{(target.text or b'').decode()}.{(name.text or b'').decode()}".lower()


def _strip(node: Node) -> Node:
    """The one expression inside PowerShell's chain of single-child expression nodes."""
    while len([c for c in node.children if c.is_named]) == 1 and node.type not in ("variable", "member_access"):
        node = next(c for c in node.children if c.is_named)
    return node


def _parameters(function: Node) -> list[tuple[str, str]]:
    """(variable in lower case, declared type in lower case or '') of a function's parameters."""
    found = []
    for parameter in function.children:
        if parameter.type != "function_parameter_declaration":
            continue
        for script_parameter in (n for n in _descendants(parameter) if n.type == "script_parameter"):
            variable = next(c for c in script_parameter.children if c.type == "variable")
            types = [n for n in _descendants(script_parameter) if n.type == "type_name"]
            declared = (types[0].text or b"").decode().lower() if types else ""
            found.append(((variable.text or b"").decode().lower(), declared))
    return found


def _descendants(node: Node) -> list[Node]:
    found = [node]
    for child in node.children:
        found += _descendants(child)
    return found


def _qualified(declared: str) -> str:
    """A declared type as the checker names it: ADSync types with their namespace."""
    if declared.startswith("System.Nullable`1<"):
        declared = declared.removeprefix("System.Nullable`1<")[:-1]
    return declared


def problems(script: str) -> list[str]:
    checker = Checker(object_types(), output_types())
    checker.infer(parse(script), {})
    return checker.findings


# --- every script the tool writes or runs ------------------------------------------------------


def many_plans(folder: Path) -> dict[str, str]:
    """`plan --output powershell` for each build family and each kind of change, fresh and after an apply."""
    wants = {
        "raise": state(),
        "increase": state(group_member_limit=150000),
        "to-250k-scheduler-off": state(group_member_limit=250000, sync_cycle_enabled=False),
        "v2-at-50k": state(group_member_limit=50000, rule_precedence=None),
        "rollback": rollback(),
        "no-writeup": state(writeup_rule_precedence=None),
    }
    scripts: dict[str, str] = {}
    for version in ("1.5.30.0", "1.6.2.4", "1.6.4.0", "2.2.8.0", "2.4.18.0"):
        for name, want in wants.items():
            srv = server(version)
            with contextlib.suppress(UserError):  # a plan the planner refuses prints no script
                scripts[f"{version} {name}"] = psplan.script(make_plan(srv, want, allow=True))
            apply(srv, state(), folder / f"{version}-{name}", allow=True)
            srv.run_cycle(full=False)
            with contextlib.suppress(UserError):
                scripts[f"{version} raised, then {name}"] = psplan.script(make_plan(srv, want, allow=True))
    return scripts


class Sent:
    """A transport that keeps the scripts it is given and answers nothing."""

    label = "sent"

    def __init__(self) -> None:
        self.sent: list[str] = []

    def run(self, script: str) -> str:
        self.sent.append(script)
        return ""

    def stream(
        self, script: str, on_line: Callable[[str], None], timeout: float = 0, stop: threading.Event | None = None
    ) -> None:
        self.sent.append(script)


def live_plan_scripts(folder: Path) -> dict[str, str]:
    """What a live apply sends for each kind of plan: its steps and the collector, as one script."""
    found: dict[str, str] = {}
    for name, p in scenarios(folder).items():
        for died in (False, True):
            sent = Sent()
            server = powershell.PowerShellServer(sent, "srv1", "AzureCommercial")
            server.run_plan_script(scripts.live(p, 60, died), lambda _event: None, lambda _state: None)
            found[f"live plan {name}{' (a run died)' if died else ''}"] = sent.sent[0]
            found[f"live plan {name} as a file"] = cmdlets.file_script(sent.sent[0])
    return found


def every_script(folder: Path) -> dict[str, str]:
    sent = live_scripts()
    return {
        **live_plan_scripts(folder / "live"),
        **plan_scripts(folder / "scenarios"),
        **many_plans(folder / "plans"),
        "named": named_script(folder / "named", NASTY[-2]),
        **{f"live {i}": text for i, text in enumerate(sent)},
        **{f"live {i} as a file": cmdlets.file_script(text) for i, text in enumerate(sent)},
        "collector": powershell.shipped_script("Collect-ADSyncObservedState.ps1"),
        "task": powershell.shipped_script("Register-ReconcilerTask.ps1"),
    }


def test_every_member_of_an_adsync_object_is_real(tmp_path: Path) -> None:
    scripts = every_script(tmp_path)
    assert len(scripts) > 60
    found = {name: problems(text) for name, text in scripts.items()}
    assert {name: p for name, p in found.items() if p} == {}


def test_the_inference_reaches_the_objects_the_scripts_use(tmp_path: Path) -> None:
    """The check above is not empty: it follows rules through helpers, loops, pipelines and -OutVariable."""
    scripts = every_script(tmp_path)
    touched: list[str] = []

    class Recording(Checker):
        def member(self, node: Node, receiver: Type, name: str, call: bool) -> Type:
            if receiver is not None and NAMESPACE in receiver:
                touched.append(f"{items(receiver).removeprefix(NAMESPACE)}.{name}")
            return super().member(node, receiver, name, call)

    for name in ("subsequent-increase", "collector", "live plan subsequent-increase"):
        Recording(object_types(), output_types()).infer(parse(scripts[name]), {})
    assert {
        "SynchronizationRule.ImmutableTag",
        "ImmutableTag.TagValue",
        "SynchronizationRule.AttributeFlowMappings",
        "AttributeFlowMapping.Expression",
        "ScopeConditionGroup.ScopeConditionList",
        "ScopeCondition.ComparisonValue",
        "SchedulerSettings.SyncCycleEnabled",
        "Connector.ExtensionConfiguration",
        "ConnectorExtensionConfiguration.ExportType",
        "GlobalSettings.Parameters",
        "ConfigurationParameter.Value",
        "SchedulerConnectorOverride.FullSyncRequired",
        "RunProfileResult.RunProfileName",
        "RunProfileResult.EndDate",
        "RunProfileResult.RunStepResults",
        "RunStepResult.SyncErrors",
        "RunStepResultSyncErrors.SyncErrorsList",
    } <= set(touched)


OLD_GET_STANDARD_RULE = """function Get-StandardRule([string] $Name, [string] $TagPrefix) {
    @(Get-ADSyncRule | Where-Object {
            ($_.ImmutableTag -and $_.ImmutableTag.StartsWith($TagPrefix)) -or
            ($_.IsStandardRule -and $_.Name -ceq $Name)
        }) | Select-Object -First 1
}
$rule = Get-StandardRule -Name 'Out to AAD - Group Join' -TagPrefix 'Microsoft.OuttoAADGroupJoin.'
"""


def test_the_check_finds_a_string_method_on_the_immutable_tag() -> None:
    assert problems(OLD_GET_STANDARD_RULE) == [
        "line 3: ImmutableTag has no method StartsWith (.NET string methods are for strings only) (StartsWith)"
    ]


@pytest.mark.parametrize(
    ("script", "finding"),
    [
        ("$r = Get-ADSyncRule -Identifier 'x'\n$r.Nmae\n", "SynchronizationRule has no property Nmae"),
        ("foreach ($r in @(Get-ADSyncRule)) { $r.Connector.StartsWith('b') }\n", "Guid has no method StartsWith"),
        ("(Get-ADSyncScheduler).SyncCycleEnable\n", "SchedulerSettings has no property SyncCycleEnable"),
        ("New-ADSyncRule -Name 'n' -OutVariable syncRule\n$syncRule[0].Disabld = $true\n", "no property Disabld"),
        ("function F($Rule) { $Rule.ImmutableTag.Trim() }\nF (Get-ADSyncRule)[0]\n", "no method Trim"),
        ("@(Get-ADSyncRule).ScopeFilter.ScopeConditionList.Attribut\n", "ScopeCondition has no property Attribut"),
        ("(Get-ADSyncConnectorRunStatus).RunState\n", "ConnectorRunStatus: not described by the fixture's types"),
    ],
)
def test_the_check_finds_members_the_object_model_lacks(script: str, finding: str) -> None:
    found = problems(script)
    assert len(found) == 1 and finding in found[0], found


def test_strings_keep_their_methods_and_unknown_values_stay_unchecked() -> None:
    script = (
        "foreach ($r in @(Get-ADSyncRule)) { $r.Name.StartsWith('In ') -and $r.ImmutableTag.TagValue.Length }\n"
        "([string] (Get-ADSyncRule)[0].ImmutableTag).StartsWith('Microsoft.')\n"
        "(Get-Date).ToUniversalTime().ToString('o')\n"
        "$item = Get-ItemProperty -LiteralPath 'HKLM:\\x' -Name 'y'\n$item.Anything.Goes()\n"
    )
    assert problems(script) == []


# --- quiet output: one line per step ------------------------------------------------------------

# Besides the ADSync cmdlets that write an object: New-Object, and the AADConnector module's functions
# (which return what they set) and the task cmdlets of the shipped task script.
WRITERS = {
    "New-Object",
    "New-Item",
    "Register-ScheduledTask",
    *(f"Set-ADSyncAADConnector{d}ApiVersion" for d in ("Export", "Import")),
}
VALUE_USED = {"assignment_expression", "parenthesized_expression", "array_expression", "sub_expression"}


def printed(script: str) -> list[str]:
    """Commands that change something and whose result would be printed: neither assigned nor piped on."""
    writers = WRITERS | {c for c, t in output_types().items() if t is not None and not c.startswith("Get-")}
    found = []
    for node in _descendants(parse(script)):
        name = next((c for c in node.children if c.type == "command_name"), None)
        if node.type != "command" or name is None or (name.text or b"").decode() not in writers:
            continue
        stages = [c for c in node.parent.children if c.is_named] if node.parent is not None else [node]
        if stages[-1] != node:
            continue  # piped on
        ancestor = node.parent
        while ancestor is not None and ancestor.type not in VALUE_USED | {"statement_list", "script_block_body"}:
            ancestor = ancestor.parent
        if ancestor is None or ancestor.type not in VALUE_USED:
            found.append(f"line {node.start_point[0] + 1}: {(name.text or b'').decode()}")
    return found


def test_no_change_prints_its_result(tmp_path: Path) -> None:
    found = {name: printed(text) for name, text in every_script(tmp_path).items()}
    assert {name: p for name, p in found.items() if p} == {}


def test_the_quiet_check_finds_a_printed_rule() -> None:
    assert printed("$r = Get-ADSyncRule -Identifier 'x'\n$r | Add-ADSyncRule\nNew-Object -TypeName 'T'\n") == [
        "line 2: Add-ADSyncRule",
        "line 3: New-Object",
    ]
    assert (
        printed("$null = $r | Add-ADSyncRule\n$c = (New-Object -TypeName 'T')\n$r | Add-ADSyncRule | Out-Null\n") == []
    )


def _adsync_commands(script: str) -> list[str]:
    names = [c for n in _descendants(parse(script)) for c in n.children if c.type == "command_name"]
    return [text for text in ((n.text or b"").decode() for n in names) if "-ADSync" in text]


def test_strict_mode_is_pinned_and_the_module_required_where_needed(tmp_path: Path) -> None:
    scripts = every_script(tmp_path)
    needing = {name for name, text in scripts.items() if _adsync_commands(text)}
    for name, text in scripts.items():
        modes = re.findall(r"Set-StrictMode -Version (\S+)", text)
        assert set(modes) <= {"3.0"} and (modes or name not in needing), name
        # Live scripts run as script blocks, where #Requires cannot be.
        if name in needing and not name.startswith("live"):
            assert cmdlets.REQUIRES_ADSYNC in text.splitlines(), name
    srv = server("2.4.18.0")
    apply(srv, state(), tmp_path / "done")
    srv.run_cycle(full=False)
    done = make_plan(srv, state())
    assert not done.actions and cmdlets.REQUIRES_ADSYNC not in psplan.script(done)  # runs anywhere


def bool_parameters(script: str) -> list[str]:
    """The script's own parameters typed [bool] (or [Nullable[bool]]), which `powershell.exe -File`
    cannot set: it passes every argument as text, which a [bool] parameter refuses."""
    root = parse(script)
    blocks = [n for n in root.children if n.type == "param_block"]
    found = []
    for parameter in (n for b in blocks for n in _descendants(b) if n.type == "script_parameter"):
        types = [(n.text or b"").decode().lower() for n in _descendants(parameter) if n.type == "type_spec"]
        if any(re.search(r"\bbool(ean)?\b", t) for t in types):
            found.append((parameter.text or b"").decode().split("=")[0].strip())
    return found


def test_shipped_scripts_take_only_what_powershell_file_can_pass() -> None:
    for name in ("Collect-ADSyncObservedState.ps1", "Register-ReconcilerTask.ps1"):
        assert bool_parameters(powershell.shipped_script(name)) == [], name
    old = "param(\n    [Nullable[bool]] $TenantHasVerifiedDomain = $null,\n    [string] $Name\n)\n$x = 1\n"
    assert bool_parameters(old) == ["[Nullable[bool]] $TenantHasVerifiedDomain"]
